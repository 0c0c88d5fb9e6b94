import { defineConformanceSuite } from '@tidings/conformance';
import { honoNodeTarget } from './support/node-target.ts';

defineConformanceSuite(honoNodeTarget);
