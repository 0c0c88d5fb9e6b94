import { defineFrameSuite } from '@tidings/conformance';
import { bunTarget } from './support/targets.ts';

defineFrameSuite(bunTarget(), 'bun');
