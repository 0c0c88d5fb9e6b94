/**
 * `@tidings/testing/hub`: the test hub and its manual clock alone, runtime-neutral (Web APIs and
 * `@tidings/core` only), for Bun, Deno and workers that test through `hub.handle`.
 * `@tidings/testing` exports the same.
 */

export { createManualClock, type ManualClock, type ManualClockOptions } from './create-manual-clock.ts';
export {
  createTestHub,
  type LoggedEvent,
  type RestartOptions,
  TEST_HUB_DEFAULTS,
  type TestHub,
  type TestHubOptions,
  type WaitForSubscribersOptions,
} from './create-test-hub.ts';
