/**
 * `@tidings/conformance` (private): one protocol suite every adapter runs. An adapter's test file
 * describes how to start its server (`ConformanceTarget`) and calls `defineConformanceSuite`.
 */
export {
  CONFORMANCE_SECRET,
  type ConformanceConfig,
  type ConformanceRole,
  conformanceAuthorize,
  toHubOptions,
} from './config.ts';
export { baseConfig, type Harness, uniqueTopic } from './harness.ts';
export { defineConformanceSuite, MAIN_CONFIG, SUITE_CONFIGS } from './suite.ts';
export type { ConformanceCapabilities, ConformanceServer, ConformanceTarget } from './target.ts';
