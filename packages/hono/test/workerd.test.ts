import { defineConformanceSuite } from '@tidings/conformance';
import { workerdTarget } from './support/targets.ts';

defineConformanceSuite(workerdTarget());
