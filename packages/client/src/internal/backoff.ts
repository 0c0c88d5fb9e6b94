import type { ClientOptions } from '../options.ts';

/** Reconnect delays: capped exponential backoff with full jitter. */
export interface Backoff {
  /** The next delay in ms: random in [0, min(maxMs, baseMs · 2^attempt)); counts an attempt. */
  next(): number;
  /** Failed attempts since the last start-over; set it to 0 to start over. */
  attempt: number;
}

/** The options a backoff reads: the first ceiling, the cap, and the random source (see ClientOptions). */
export type BackoffOptions = Pick<ClientOptions, 'reconnectDelayMs' | 'maxReconnectDelayMs' | 'random'>;

/**
 * Full jitter (every delay drawn from the whole range, the cap included) spreads clients that lost
 * their connection together, so a restarted server is not met by all of them at once.
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function createBackoff(o: Required<BackoffOptions>): Backoff {
  const backoff: Backoff = {
    attempt: 0,
    next: () =>
      Math.floor(o.random() * Math.min(o.maxReconnectDelayMs, o.reconnectDelayMs * 2 ** backoff.attempt++)),
  };
  return backoff;
}
