import { defineFrameSuite } from '@tidings/conformance';
import { koaTarget } from './koa-target.ts';

// The same frames, the same answers as on the bare bridge: the table's Node column holds for Koa too.
defineFrameSuite(koaTarget, 'node');
