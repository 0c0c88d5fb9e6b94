/** What travels one direction of a link: bytes, then perhaps a FIN (`end`) or an RST (`reset`). */
export type WireItem = Buffer | 'end' | 'reset';

/** The network conditions every wire reads when an item enters it and when it would leave. */
export interface WireConditions {
  /** Delay added to every item, in ms. */
  readonly latencyMs: number;
  /** While true nothing leaves any wire. */
  readonly paused: boolean;
}

/**
 * One direction of one connection as the network sees it: items leave in the order they entered,
 * each no sooner than `latencyMs` after it entered, and none while paused. A FIN or RST rides the
 * same queue, so it never overtakes the bytes sent before it.
 */
export class Wire {
  readonly #deliver: (item: WireItem) => void;
  readonly #conditions: WireConditions;
  readonly #onDelay: () => void;
  #queue: { item: WireItem; dueAt: number }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(conditions: WireConditions, deliver: (item: WireItem) => void, onDelay: () => void) {
    this.#conditions = conditions;
    this.#deliver = deliver;
    this.#onDelay = onDelay;
  }

  send(item: WireItem): void {
    const { latencyMs, paused } = this.#conditions;
    if (this.#queue.length === 0 && !paused && latencyMs === 0) {
      this.#deliver(item);
      return;
    }
    if (latencyMs > 0 && typeof item !== 'string') this.#onDelay();
    // A later item never leaves before an earlier one, even if the latency was lowered in between.
    const last = this.#queue.at(-1)?.dueAt ?? 0;
    this.#queue.push({ item, dueAt: Math.max(performance.now() + latencyMs, last) });
    this.#schedule();
  }

  /** Delivers every item that is due; called by its timer and when the network resumes. */
  release(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (!this.#conditions.paused) {
      const first = this.#queue[0];
      if (!first || first.dueAt > performance.now()) break;
      this.#queue.shift();
      this.#deliver(first.item);
    }
    this.#schedule();
  }

  /** Drops everything in flight (a reset or a blackhole). */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
  }

  #schedule(): void {
    const first = this.#queue[0];
    if (!first || this.#timer || this.#conditions.paused) return;
    this.#timer = setTimeout(() => this.release(), Math.max(0, Math.ceil(first.dueAt - performance.now())));
  }
}
