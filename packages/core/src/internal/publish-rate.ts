/**
 * Counts HTTP publishes per caller in one-second windows. The whole map is dropped when a window
 * ends, so it never holds more than the callers of the last second and needs no timer.
 */
export class PublishRate {
  readonly #limit: number;
  #windowStart = 0;
  readonly #counts = new Map<string, number>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Counts one publish by `key` at `now` (ms); false when that is over the limit for this second. */
  take(key: string, now: number): boolean {
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#counts.clear();
    }
    const count = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, count);
    return count <= this.#limit;
  }
}
