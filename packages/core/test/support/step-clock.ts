import type { Clock } from '../../src/index.ts';

/**
 * A clock that moves only through `advance`, for the clock seam's own tests (the product is
 * `createManualClock` in @tidings/testing, which core cannot import). Timers fire in due order.
 */
export interface StepClock extends Clock {
  advance(ms: number): void;
  /** Timers waiting to fire. */
  readonly pending: number;
}

export function createStepClock(start: number): StepClock {
  let now = start;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void; everyMs: number | undefined }>();
  const add = (fn: () => void, ms: number, everyMs?: number) => {
    timers.set(++nextId, { at: now + ms, fn, everyMs });
    return nextId;
  };
  const clear = (handle: unknown) => {
    timers.delete(handle as number);
  };
  return {
    now: () => now,
    setTimeout: (fn, ms) => add(fn, ms),
    setInterval: (fn, ms) => add(fn, ms, ms),
    clearTimeout: clear,
    clearInterval: clear,
    get pending() {
      return timers.size;
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        let due: [number, { at: number; fn: () => void; everyMs: number | undefined }] | undefined;
        for (const entry of timers)
          if (entry[1].at <= target && (!due || entry[1].at < due[1].at)) due = entry;
        if (!due) break;
        const [id, timer] = due;
        now = timer.at;
        if (timer.everyMs === undefined) timers.delete(id);
        else timer.at += timer.everyMs;
        timer.fn();
      }
      now = target;
    },
  };
}
