// However many are refused at once, nobody is told to wait longer than this.
const MAX_WAIT_MS = 30_000;
// The admission times are kept in an array read from `#head`; the part already read is dropped in
// one splice once it is this long and at least half of the array, so each time is moved at most once.
const COMPACT_AT = 1024;

/**
 * The admission throttle (`maxConnectionsPerSecond`): at most `limit` new connections in any
 * 1000 ms. A sliding window over the times of the last second's admissions, exact: a fixed
 * one-second window would let twice the limit through across its boundary, which is the burst the
 * throttle is there to stop.
 *
 * A refused arrival is given its own moment to come back: the next free place at the limit's pace
 * (one every `1000 / limit` ms after the last one handed out), so a crowd refused together comes
 * back one by one at the rate the hub admits, instead of all together after the same delay.
 */
export class Admission {
  readonly #limit: number;
  readonly #spacingMs: number;
  readonly #times: number[] = [];
  #head = 0;
  #nextPlace = 0;

  constructor(limit: number) {
    this.#limit = limit;
    this.#spacingMs = 1000 / limit;
  }

  /** Admits one connection at `now` (ms) and returns undefined, or refuses it and returns how long it should wait, in ms. */
  take(now: number): number | undefined {
    const times = this.#times;
    while (this.#head < times.length && times[this.#head]! <= now - 1000) this.#head++;
    if (this.#head >= COMPACT_AT && this.#head * 2 >= times.length) {
      times.splice(0, this.#head);
      this.#head = 0;
    }
    if (times.length - this.#head < this.#limit) {
      times.push(now);
      return undefined;
    }
    // Full: a place frees when the oldest admission leaves the window; later refusals queue behind.
    const place = Math.max(times[this.#head]! + 1000, Math.min(this.#nextPlace, now + MAX_WAIT_MS));
    this.#nextPlace = place + this.#spacingMs;
    return Math.ceil(place - now);
  }
}
