/**
 * `@tidings/testing/recorder`: the event recorder alone, runtime-neutral (no Node APIs), for
 * browsers, Deno, Bun and workers. `@tidings/testing` exports the same.
 */

export {
  type CheckOptions,
  checkDelivery,
  type DeliveryCheck,
  type DeliveryGap,
  type PublishedEntry,
  type PublishedIds,
  type RecordedEntry,
  type RecordedEvent,
} from './check-delivery.ts';
export {
  createRecorder,
  RECORDER_DEFAULTS,
  type RecordableClient,
  type Recorder,
  type WaitForOptions,
} from './create-recorder.ts';
export { DeliveryError } from './delivery-error.ts';
