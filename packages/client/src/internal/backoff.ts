/** Reconnect delays: capped exponential backoff with full jitter. */
export interface Backoff {
  /** The next delay in ms: random in [0, min(maxMs, baseMs · 2^attempt)). */
  next(): number;
  /** Failed attempts since the last reset. */
  readonly attempt: number;
  /** Starts over after a connection that held. */
  reset(): void;
}

/**
 * Full jitter (every delay drawn from the whole range, the cap included) spreads clients that lost
 * their connection together, so a restarted server is not met by all of them at once.
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function createBackoff(baseMs: number, maxMs: number, random: () => number): Backoff {
  let attempt = 0;
  return {
    next: () => Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt++)),
    get attempt() {
      return attempt;
    },
    reset() {
      attempt = 0;
    },
  };
}
