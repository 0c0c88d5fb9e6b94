import type { Clock } from '../clock.ts';
import type { Connection } from './connection.ts';

/** Work the ticker runs on intervals (heartbeats). */
export interface PeriodicTask {
  everyMs: number;
  run(now: number): void;
}

/**
 * The hub's one timer. Deadlines (long-poll timeouts, token expiry) sit in a wheel of buckets of
 * `tickMs`; heartbeats run as periodic sweeps. Connections never own a timer, so an idle
 * connection costs no timer and no closure. The timer runs only while there are connections.
 */
export class Ticker {
  readonly #tickMs: number;
  readonly #clock: Clock;
  readonly #wheel = new Map<number, Set<Connection>>();
  readonly #tasks: { task: PeriodicTask; next: number }[] = [];
  #timer: unknown;
  #lastSlot = 0;

  constructor(tickMs: number, clock: Clock, tasks: PeriodicTask[]) {
    this.#tickMs = tickMs;
    this.#clock = clock;
    for (const task of tasks) this.#tasks.push({ task, next: 0 });
  }

  /** Starts the timer if it is not running. */
  start(): void {
    if (this.#timer !== undefined) return;
    const now = this.#clock.now();
    this.#lastSlot = Math.floor(now / this.#tickMs);
    for (const entry of this.#tasks) entry.next = now + entry.task.everyMs;
    this.#timer = this.#clock.setInterval(() => this.tick(), this.#tickMs);
    // Never keep a process alive just for heartbeats (Node and Bun timers have unref; others don't need it).
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Stops the timer. */
  stop(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Puts the connection in the bucket of its next deadline (or takes it out when it has none). */
  schedule(connection: Connection): void {
    this.unschedule(connection);
    const at = connection.nextDeadline();
    if (at === undefined) return;
    const slot = Math.max(Math.ceil(at / this.#tickMs), this.#lastSlot + 1);
    let bucket = this.#wheel.get(slot);
    if (!bucket) {
      bucket = new Set();
      this.#wheel.set(slot, bucket);
    }
    bucket.add(connection);
    connection.wheelSlot = slot;
  }

  /** Takes the connection out of the wheel. */
  unschedule(connection: Connection): void {
    if (connection.wheelSlot === undefined) return;
    const bucket = this.#wheel.get(connection.wheelSlot);
    bucket?.delete(connection);
    if (bucket?.size === 0) this.#wheel.delete(connection.wheelSlot);
    connection.wheelSlot = undefined;
  }

  /** One tick: due deadlines, then due sweeps. Public so tests and `close()` can drive it. */
  tick(): void {
    const now = this.#clock.now();
    const current = Math.floor(now / this.#tickMs);
    for (let slot = this.#lastSlot + 1; slot <= current; slot++) {
      const bucket = this.#wheel.get(slot);
      if (!bucket) continue;
      this.#wheel.delete(slot);
      for (const connection of bucket) {
        connection.wheelSlot = undefined;
        if (connection.closed) continue;
        connection.deadline(now);
        if (!connection.closed) this.schedule(connection);
      }
    }
    this.#lastSlot = Math.max(this.#lastSlot, current);
    // The next bucket holds deadlines up to one tick ahead: those already due run now, not a tick
    // late (a manual test clock that jumps straight to a deadline then reaches it).
    const ahead = this.#wheel.get(current + 1);
    if (ahead) {
      for (const connection of [...ahead]) {
        if (connection.closed || (connection.nextDeadline() ?? Infinity) > now) continue;
        this.unschedule(connection);
        connection.deadline(now);
        if (!connection.closed) this.schedule(connection);
      }
    }
    for (const entry of this.#tasks) {
      if (now < entry.next) continue;
      entry.next = now + entry.task.everyMs;
      entry.task.run(now);
    }
  }
}
