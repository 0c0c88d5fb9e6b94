import type { BrokerHead, BrokerListener, EventRecord } from '@tidings/core/broker';
import { type ChannelMessage, decodeChannelMessage, toEventRecord } from './channel-message.ts';
import type { LogPage, PageReader } from './log-page.ts';

/** What the feed needs: a reader of the stored log, and where to report failures. */
export interface LiveFeedOptions {
  read: PageReader;
  /** How long to wait before retrying a failed catch-up, in ms. */
  retryMs: number;
  onError(error: unknown): void;
}

// Messages held while a catch-up runs. Past this, they are dropped and a catch-up re-reads them
// from the stream instead: memory stays bounded and nothing is lost.
const MAX_QUEUED = 10_000;
// Old epochs remembered so that a late message from before a flush is not mistaken for a new epoch.
const MAX_RETIRED_EPOCHS = 8;

/**
 * This node's view of the cluster's live stream. Channel messages are delivered in seq order, each
 * once; a gap (missed messages while the subscription was down) is filled from the stream, and
 * what the stream no longer holds, or a new epoch, becomes a reset for every listener. In the
 * common case, the next seq in the current epoch, a message is delivered at once, with no promise.
 */
export class LiveFeed {
  /** The epoch and the last seq delivered (or reset to): the node's head. */
  epoch = '';
  seq = 0;
  readonly listeners: Set<BrokerListener> = new Set();
  readonly #options: LiveFeedOptions;
  #queue: ChannelMessage[] = [];
  #busy = false;
  #catchUpWanted = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #retired: string[] = [];
  #closed = false;

  constructor(options: LiveFeedOptions) {
    this.#options = options;
  }

  head(): BrokerHead {
    return { epoch: this.epoch, seq: this.seq };
  }

  /** Adopts the log's epoch and head. Nothing was live before, so nobody is told. Rejects if Redis cannot be read. */
  async start(): Promise<void> {
    this.#busy = true;
    try {
      await this.#catchUp();
    } finally {
      this.#busy = false;
    }
    this.#drain();
  }

  /** A channel message, as text. */
  receive(text: string): void {
    if (this.#closed) return;
    const message = decodeChannelMessage(text);
    if (!message) {
      this.#options.onError(new Error('tidings: ignored a malformed message on the event channel'));
      return;
    }
    if (!this.#busy && this.#queue.length === 0 && message.epoch === this.epoch) {
      if (message.seq === this.seq + 1) {
        this.#emit(toEventRecord(this.epoch, message));
        return;
      }
      if (message.seq <= this.seq) return;
    }
    if (this.#queue.length >= MAX_QUEUED) {
      this.#queue = [];
      this.#catchUpWanted = true;
    }
    this.#queue.push(message);
    this.#drain();
  }

  /** Compares with the stored log and delivers or resets what differs: after a reconnect, or on suspicion. */
  catchUp(): void {
    this.#catchUpWanted = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#drain();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#queue = [];
    this.listeners.clear();
  }

  #drain(): void {
    if (this.#busy || this.#retryTimer || this.#closed) return;
    void this.#work();
  }

  async #work(): Promise<void> {
    this.#busy = true;
    try {
      while (!this.#closed && (this.#catchUpWanted || this.#queue.length > 0)) {
        if (this.#catchUpWanted) {
          this.#catchUpWanted = false;
          await this.#catchUp();
        } else {
          await this.#handle(this.#queue.shift()!);
        }
      }
    } catch (error) {
      // A catch-up reads everything up to the head, so it also covers a message whose gap could not be filled.
      this.#options.onError(error);
      this.#catchUpWanted = true;
      if (!this.#closed) {
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#drain();
        }, this.#options.retryMs);
      }
    } finally {
      this.#busy = false;
    }
  }

  async #handle(message: ChannelMessage): Promise<void> {
    if (this.#retired.includes(message.epoch)) return;
    // Another epoch: the log is the truth; catch up with it, then take the message only if it is of that epoch.
    if (message.epoch !== this.epoch) await this.#catchUp();
    if (message.epoch !== this.epoch || message.seq <= this.seq) return;
    if (message.seq > this.seq + 1) await this.#fill(message.seq - 1);
    if (message.epoch === this.epoch && message.seq === this.seq + 1) {
      this.#emit(toEventRecord(this.epoch, message));
    }
  }

  async #catchUp(): Promise<void> {
    const page = await this.#options.read(this.seq);
    if (page.epoch !== this.epoch) await this.#enterEpoch(page);
    else await this.#deliver(page, page.head);
  }

  async #fill(target: number): Promise<void> {
    await this.#deliver(await this.#options.read(this.seq, target), target);
  }

  /**
   * A new epoch (the log was lost, or this node starts): listeners reset to just before the oldest
   * event the new log still holds, which then follow, so nobody skips what is still there.
   */
  async #enterEpoch(page: LogPage): Promise<void> {
    // On start nobody listens yet: the node simply begins at the head.
    const start = page.firstSeq > 0 && this.epoch !== '' ? page.firstSeq - 1 : page.head;
    this.#newEpoch(page.epoch, start);
    if (start < page.head) await this.#deliver(await this.#options.read(start, page.head), page.head);
  }

  /** Delivers the stored entries up to `target`, page by page; a missing one turns into a reset. */
  async #deliver(first: LogPage, target: number): Promise<void> {
    let page = first;
    while (this.seq < target && !this.#closed) {
      if (page.epoch !== this.epoch) {
        await this.#enterEpoch(page);
        return;
      }
      if (page.records.length === 0) {
        this.#resetTo(target);
        return;
      }
      for (const { seq, record } of page.records) {
        if (seq > target) break;
        if (seq !== this.seq + 1 || !record) {
          this.#resetTo(target);
          return;
        }
        this.#emit(record);
      }
      if (this.seq < target) page = await this.#options.read(this.seq, target);
    }
  }

  #emit(record: EventRecord): void {
    this.seq = record.seq;
    for (const listener of this.listeners) listener.event(record);
  }

  #resetTo(seq: number): void {
    this.seq = seq;
    const head = this.head();
    for (const listener of this.listeners) listener.reset(head);
  }

  #newEpoch(epoch: string, seq: number): void {
    const old = this.epoch;
    this.epoch = epoch;
    if (old === '') {
      this.seq = seq;
      return;
    }
    this.#retired.push(old);
    if (this.#retired.length > MAX_RETIRED_EPOCHS) this.#retired.shift();
    this.#resetTo(seq);
  }
}
