import type { Clock } from '@tidings/core';

/** Options of `createManualClock`. */
export interface ManualClockOptions {
  /** Where the clock starts, in ms since the epoch. Default: `Date.now()` when it is created. */
  now?: number;
}

/**
 * A clock that moves only when told to. Give it to a hub (`createHub({ clock })`, or use
 * `createTestHub`, which does) and the hub's heartbeats, long-poll timeouts, token expiry, drain
 * timeout, rate windows and retention ages all wait for `advance`.
 */
export interface ManualClock extends Clock {
  /** The clock's time, in ms since the epoch. */
  now(): number;
  /**
   * Moves the time forward by `ms` and runs what fell due: timeouts in due order, each seeing its
   * own due time; every interval once, at the new time, its missed runs skipped as when an event
   * loop was blocked. So one advance is at most one heartbeat round: a real peer gets real time
   * between two advances to answer a ping, and a silent one is dropped by the second advance past
   * `heartbeatMs`. Resolves once the promises the timers started have had a turn to settle (not
   * network round trips: wait for those on the client). Throws a TypeError for a negative `ms`.
   */
  advance(ms: number): Promise<void>;
  /** Timers waiting to fire. */
  readonly pending: number;
}

interface Timer {
  id: number;
  at: number;
  fn: () => void;
  everyMs: number | undefined;
}

/** The runtime's own macrotask, taken before any test runner can replace the globals with fakes. */
const realTurn: () => Promise<void> = (() => {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  const immediate = g.setImmediate;
  const timeout = globalThis.setTimeout;
  return () => new Promise<void>((resolve) => (immediate ? immediate(resolve) : timeout(resolve, 0)));
})();

/**
 * Creates a manual clock. Runtime-neutral, and independent of any test runner's fake timers.
 *
 * @example
 * const clock = createManualClock();
 * const hub = createHub({ anonymous: true, clock });
 * await clock.advance(hub.options.longPollTimeoutMs); // waiting long polls answer now
 */
export function createManualClock(options: ManualClockOptions = {}): ManualClock {
  let now = options.now ?? Date.now();
  if (!Number.isFinite(now)) throw new TypeError('now must be a finite number of ms');
  let nextId = 0;
  const timers = new Map<number, Timer>();
  const add = (fn: () => void, ms: number, repeat: boolean): number => {
    if (typeof fn !== 'function') throw new TypeError('a timer needs a function');
    const delay = Math.max(0, Number(ms) || 0);
    const id = ++nextId;
    // An interval of 0 would be due again at once, forever: like the runtimes, it waits at least 1 ms.
    timers.set(id, { id, at: now + delay, fn, everyMs: repeat ? Math.max(1, delay) : undefined });
    return id;
  };
  const clear = (handle: unknown) => {
    timers.delete(handle as number);
  };

  /** The timer to run next before `target`: timeouts at their time, intervals at `target`; ties by age. */
  function nextDue(target: number): Timer | undefined {
    let best: Timer | undefined;
    let bestAt = Infinity;
    for (const timer of timers.values()) {
      if (timer.at > target) continue;
      const at = timer.everyMs === undefined ? timer.at : target;
      if (at < bestAt || (at === bestAt && timer.id < best!.id)) {
        best = timer;
        bestAt = at;
      }
    }
    return best;
  }

  return {
    now: () => now,
    setTimeout: (fn, ms) => add(fn, ms, false),
    setInterval: (fn, ms) => add(fn, ms, true),
    clearTimeout: clear,
    clearInterval: clear,
    get pending() {
      return timers.size;
    },
    async advance(ms) {
      if (!(ms >= 0 && ms < Infinity)) throw new TypeError('advance needs a number of ms ≥ 0');
      const target = now + ms;
      for (let timer = nextDue(target); timer; timer = nextDue(target)) {
        if (timer.everyMs === undefined) {
          timers.delete(timer.id);
          now = Math.max(now, timer.at);
        } else {
          now = target;
          timer.at = target + timer.everyMs;
        }
        timer.fn();
        await realTurn();
      }
      now = target;
      await realTurn();
    },
  };
}
