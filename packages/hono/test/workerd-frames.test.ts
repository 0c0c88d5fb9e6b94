import { defineFrameSuite } from '@tidings/conformance';
import { workerdTarget } from './support/targets.ts';

defineFrameSuite(workerdTarget(), 'workerd');
