import { defineConformanceSuite } from '@tidings/conformance';
import { serveTarget } from './support/serve-target.ts';

defineConformanceSuite(serveTarget);
