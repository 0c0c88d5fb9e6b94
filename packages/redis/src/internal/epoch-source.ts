import { createEpoch } from '@tidings/core/broker';

/**
 * The epoch a node offers in case the log has none yet. Scripts only use it when they start a new
 * epoch, so one candidate serves every call until Redis adopts it; then the next one is made.
 */
export interface EpochSource {
  readonly candidate: string;
  /** Called with the epoch Redis answered; retires the candidate once it was used. */
  seen(epoch: string): void;
}

export function createEpochSource(): EpochSource {
  let candidate = createEpoch();
  return {
    get candidate() {
      return candidate;
    },
    seen(epoch) {
      if (epoch === candidate) candidate = createEpoch();
    },
  };
}
