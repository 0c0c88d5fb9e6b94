import { defineFrameSuite } from '@tidings/conformance';
import { denoTarget } from './support/targets.ts';

defineFrameSuite(denoTarget(), 'deno');
