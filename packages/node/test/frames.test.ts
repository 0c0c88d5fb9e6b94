import { defineFrameSuite } from '@tidings/conformance';
import { serveTarget } from './support/serve-target.ts';

defineFrameSuite(serveTarget, 'node');
