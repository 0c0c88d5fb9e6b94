import type { EventRecord } from './event-record.ts';

/** What a publish hands to the broker: the event before it has an id. */
export interface PublishInput {
  topic: string;
  event: string;
  /** The data as JSON text, serialised once by the hub. */
  data: string;
}

/** History after a cursor: the retained events in order, or `reset` when some may be missing. */
export type HistoryResult = { events: EventRecord[] } | { reset: true };

/** The log's current position. */
export interface BrokerHead {
  epoch: string;
  seq: number;
}

/** Receives the live stream of a broker. */
export interface BrokerListener {
  /** Every event published through any hub sharing the broker, in `seq` order, each once. */
  event(record: EventRecord): void;
  /** The log lost events or started a new epoch; every connection must be told to reset. */
  reset(head: BrokerHead): void;
}

/**
 * The seam between the hub and where events live. The in-memory broker is the default; a
 * distributed one (Redis) implements the same five members, and may assign ids itself.
 * Sync or async returns are both accepted so the embedded broker costs no promise per event.
 */
export interface Broker {
  /** Stores an event, gives it the next id, and fans it out to every subscribed listener. */
  publish(input: PublishInput): EventRecord | Promise<EventRecord>;
  /** Listens to the live stream; returns the function that stops listening. */
  subscribe(listener: BrokerListener): () => void;
  /** Retained events on any of `topics` with `seq` greater than `afterSeq` in `epoch`. */
  readAfter(
    topics: readonly string[],
    epoch: string,
    afterSeq: number,
  ): HistoryResult | Promise<HistoryResult>;
  /** The current epoch and the highest seq issued (0 before the first event). */
  head(): BrokerHead;
  /** Releases what the broker holds. The hub calls it on `close()` only for a broker it created. */
  close?(): void | Promise<void>;
}
