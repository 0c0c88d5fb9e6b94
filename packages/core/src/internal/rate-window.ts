/**
 * Counts actions per key in fixed one-second windows: HTTP publishes per caller, WebSocket
 * publishes per connection. One window start is shared by every key and the whole map is dropped
 * when a window ends, so it never holds more than the keys of the last second and needs no timer
 * (and a connection that publishes carries no counter of its own).
 */
export class RateWindow<K> {
  readonly #limit: number;
  #windowStart = 0;
  readonly #counts = new Map<K, number>();

  /** `limit`: actions allowed per key per second. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Counts one action by `key` at `now` (ms); false when that is over the limit for this second. */
  take(key: K, now: number): boolean {
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#counts.clear();
    }
    const count = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, count);
    return count <= this.#limit;
  }
}
