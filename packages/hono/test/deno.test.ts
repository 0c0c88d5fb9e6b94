import { defineConformanceSuite } from '@tidings/conformance';
import { denoTarget } from './support/targets.ts';

defineConformanceSuite(denoTarget());
