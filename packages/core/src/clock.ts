/**
 * Where a hub reads the time and sets its timers: heartbeats, long-poll timeouts, token expiry, the
 * drain timeout, rate windows and retention ages all go through it. Shaped like the runtime's own
 * `Date.now` and timer functions, so any object with these five members fits. For tests:
 * `@tidings/testing`'s test hub passes a manual clock that moves only when the test says so.
 */
export interface Clock {
  /** The time in ms since the epoch, as `Date.now()`. */
  now(): number;
  /** Calls `fn` once, `ms` from now; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a `setTimeout` of this clock. */
  clearTimeout(handle: unknown): void;
  /** Calls `fn` every `ms`; returns a handle for `clearInterval`. */
  setInterval(fn: () => void, ms: number): unknown;
  /** Cancels a `setInterval` of this clock. */
  clearInterval(handle: unknown): void;
}

/**
 * The runtime's clock. Each member looks the global up when called, not when this module loads, so
 * a test runner's fake timers installed later still apply.
 */
export const SYSTEM_CLOCK: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval: (fn: () => void, ms: number) => setInterval(fn, ms),
  clearInterval: (handle: unknown) => clearInterval(handle as ReturnType<typeof setInterval>),
});

const MEMBERS = ['now', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] as const;

/** True when `value` has the five functions of a Clock. */
export function isClock(value: unknown): value is Clock {
  return (
    typeof value === 'object' &&
    value !== null &&
    MEMBERS.every((key) => typeof (value as Record<string, unknown>)[key] === 'function')
  );
}
