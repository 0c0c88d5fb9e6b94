import { defineFrameSuite } from '@tidings/conformance';
import { honoNodeTarget } from './support/node-target.ts';

// The same frames, the same answers as on the bare bridge: the table's Node column holds for Hono on Node too.
defineFrameSuite(honoNodeTarget, 'node');
