import type { Retention } from '@tidings/core/broker';
import type { Statements } from './statements.ts';

/** What the trim needs. */
export interface TrimmerOptions {
  run(text: string, values: unknown[]): Promise<unknown>;
  statements: Statements;
  retentionOf(topic: string): Retention;
  intervalMs: number;
  batchSize: number;
  /** Rows beyond a topic's count are dropped only once this old, in ms. */
  graceMs: number;
  /** True while the database answers; the trim waits otherwise. */
  healthy(): boolean;
  onError(error: unknown): void;
}

// Topics remembered for count trimming; past this, the oldest are left to age trimming.
const MAX_DIRTY = 10_000;
// Rows of topics with no events left are looked for once in this many rounds.
const FORGET_EVERY = 30;

/**
 * The periodic, bounded trim each node runs: expired rows (oldest first), lapsed idempotency keys,
 * rows beyond the count of the topics this node published to, and, now and then, the rows of
 * topics left empty and lapsed claims. Each drop
 * records the topic's loss mark in the same statement. Readers never depend on it: they apply
 * count and age themselves, so the trim only reclaims space.
 */
export class Trimmer {
  readonly #o: TrimmerOptions;
  readonly #dirty = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #rounds = 0;
  #running = false;
  #keyed = false;

  constructor(options: TrimmerOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.trim(), this.#o.intervalMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** This node published with an idempotency key: lapsed keys are dropped from now on. */
  keyed(): void {
    this.#keyed = true;
  }

  /** A topic got an event: check its count at the next rounds. */
  touched(topic: string): void {
    this.#dirty.delete(topic);
    this.#dirty.set(topic, Date.now());
    if (this.#dirty.size > MAX_DIRTY) this.#dirty.delete(this.#dirty.keys().next().value!);
  }

  async trim(): Promise<void> {
    if (this.#running || !this.#o.healthy()) return;
    this.#running = true;
    const { run, statements, batchSize } = this.#o;
    try {
      await run(statements.trimAge, [batchSize]);
      if (this.#dirty.size > 0) {
        const topics = [...this.#dirty.keys()];
        await run(statements.trimCount, [
          topics,
          topics.map((t) => this.#o.retentionOf(t).count),
          this.#o.graceMs,
          batchSize,
        ]);
        // A topic stays dirty until its last event is past the grace and one more round.
        const settled = Date.now() - this.#o.graceMs - 2 * this.#o.intervalMs;
        for (const [topic, at] of this.#dirty) if (at < settled) this.#dirty.delete(topic);
      }
      // Every round, not now and then: keys arrive with publishes, and must go at that pace. Only on
      // a node that published with keys, so a schema migrated by hand before keys existed still trims.
      if (this.#keyed) await run(statements.dropKeys, [batchSize]);
      if (++this.#rounds % FORGET_EVERY === 0) {
        await run(statements.forget, [batchSize]);
        await run(statements.dropClaims, [batchSize]);
      }
    } catch (error) {
      this.#o.onError(error);
    } finally {
      this.#running = false;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
