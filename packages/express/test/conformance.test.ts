import { defineConformanceSuite } from '@tidings/conformance';
import { expressTarget } from './express-target.ts';

defineConformanceSuite(expressTarget);
