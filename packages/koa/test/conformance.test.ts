import { defineConformanceSuite } from '@tidings/conformance';
import { koaTarget } from './koa-target.ts';

defineConformanceSuite(koaTarget);
