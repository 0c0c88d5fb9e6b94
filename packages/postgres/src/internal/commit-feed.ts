import { type BrokerHead, type BrokerListener, EventRecord, formatEventId } from '@tidings/core/broker';

/** What one round learns: the epoch, the last seq issued, and who is writing events right now. */
export interface RoundState {
  epoch: string;
  issued: number;
  /** Virtual transaction ids of the open transactions that took seqs (they hold the sequence's lock). */
  writers: string[];
}

/** One stored event, as the feed reads it. */
export interface StoredEvent {
  seq: number;
  topic: string;
  event: string;
  data: string;
  time: number;
}

/** What the feed needs from the database. */
export interface CommitFeedOptions {
  round(head: number): Promise<RoundState>;
  /** Events with `after < seq <= upTo`, at most `limit`, and whether a loss mark falls in that range. */
  rows(after: number, upTo: number, limit: number): Promise<{ events: StoredEvent[]; trimmed: boolean }>;
  /** Starts a new epoch after the sequence went back (a restore from backup). */
  renewEpoch(epoch: string): Promise<void>;
  pageSize: number;
  /** How soon to look again while transactions that may hold seqs are open, in ms. */
  pollMs: number;
  /** How soon to retry after a failed round, in ms. */
  retryMs: number;
  onError(error: unknown): void;
}

interface Target {
  issued: number;
  writers: string[];
}

/**
 * This node's view of the log, delivered in seq order, each event once, and never past a seq some
 * open transaction may still commit below. Seqs are taken when a row is inserted but become visible
 * at commit, so a later seq can commit first. Each round reads the last seq issued, then the open
 * transactions that took seqs (each locked the sequence before its seq): once all of those are
 * gone, every seq up to that one is final, committed or never to be, and is delivered. A
 * transaction that stays open holds delivery back, never skips an event.
 */
export class CommitFeed {
  epoch = '';
  /** The last final seq delivered (or reset to): the node's head. */
  seq = 0;
  readonly listeners: Set<BrokerListener> = new Set();
  readonly #o: CommitFeedOptions;
  #targets: Target[] = [];
  #running = false;
  #again = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #waiting: (() => void)[] = [];
  #closed = false;

  constructor(options: CommitFeedOptions) {
    this.#o = options;
  }

  head(): BrokerHead {
    return { epoch: this.epoch, seq: this.seq };
  }

  /**
   * Adopts the log's head once every transaction that may hold a seq below it has ended, so the
   * node starts on a final seq. Rejects when the database cannot be read.
   */
  async start(): Promise<void> {
    let state = await this.#o.round(-1);
    this.epoch = state.epoch;
    const issued = state.issued;
    while (state.writers.length > 0 && !this.#closed) {
      const before = state.writers;
      await new Promise((resolve) => setTimeout(resolve, this.#o.pollMs));
      state = await this.#o.round(-1);
      if (!before.some((w) => state.writers.includes(w))) break;
    }
    this.seq = issued;
  }

  /** Something may have committed (a notification, a reconnect): run a round soon. */
  wake(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    void this.#run();
  }

  /** Resolves after a round that started after this call ended (whatever its outcome). */
  sync(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.wake();
    });
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.listeners.clear();
    for (const resolve of this.#waiting.splice(0)) resolve();
  }

  async #run(): Promise<void> {
    this.#running = true;
    const served = this.#waiting.splice(0);
    let failed = false;
    try {
      await this.#round();
    } catch (error) {
      failed = true;
      this.#o.onError(error);
    } finally {
      this.#running = false;
      for (const resolve of served) resolve();
    }
    if (this.#closed) return;
    if (this.#again || this.#waiting.length > 0) {
      this.#again = false;
      void this.#run();
    } else if (failed || this.#targets.length > 0) {
      this.#timer = setTimeout(() => this.wake(), failed ? this.#o.retryMs : this.#o.pollMs);
    }
  }

  async #round(): Promise<void> {
    const state = await this.#o.round(this.seq);
    if (state.epoch !== this.epoch) {
      // A new log (the schema was created again): everyone resets to its start and gets it all.
      this.epoch = state.epoch;
      this.#targets = [];
      this.#resetTo(0);
    } else if (state.issued < this.seq) {
      // The sequence went back (a restore): seqs already delivered would be issued again.
      await this.#o.renewEpoch(state.epoch);
      this.#again = true;
      return;
    }
    let final = this.seq;
    const writing = new Set(state.writers);
    while (this.#targets.length > 0 && !this.#targets[0]!.writers.some((w) => writing.has(w))) {
      final = this.#targets.shift()!.issued;
    }
    if (state.writers.length === 0) {
      this.#targets = [];
      final = Math.max(final, state.issued);
    } else if (state.issued > (this.#targets.at(-1)?.issued ?? final)) {
      this.#targets.push({ issued: state.issued, writers: state.writers });
    }
    if (final > this.seq) await this.#deliver(final);
  }

  async #deliver(final: number): Promise<void> {
    while (this.seq < final && !this.#closed) {
      const { events, trimmed } = await this.#o.rows(this.seq, final, this.#o.pageSize);
      if (trimmed) {
        // Events were trimmed before this node delivered them (it fell far behind): say so.
        this.#resetTo(final);
        return;
      }
      for (const e of events) {
        this.seq = e.seq;
        const record = new EventRecord(
          e.seq,
          formatEventId(this.epoch, e.seq),
          e.topic,
          e.event,
          e.data,
          e.time,
        );
        for (const listener of this.listeners) listener.event(record);
      }
      // Seqs of rolled-back transactions never appear: a short page means the range is done.
      if (events.length < this.#o.pageSize) this.seq = final;
    }
  }

  #resetTo(seq: number): void {
    this.seq = seq;
    const head = this.head();
    for (const listener of this.listeners) listener.reset(head);
  }
}
