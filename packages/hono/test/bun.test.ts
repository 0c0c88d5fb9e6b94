import { defineConformanceSuite } from '@tidings/conformance';
import { bunTarget } from './support/targets.ts';

defineConformanceSuite(bunTarget());
