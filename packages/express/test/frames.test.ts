import { defineFrameSuite } from '@tidings/conformance';
import { expressTarget } from './express-target.ts';

// The same frames, the same answers as on the bare bridge: the table's Node column holds for Express too.
defineFrameSuite(expressTarget, 'node');
