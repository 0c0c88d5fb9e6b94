import type { ClusterView } from './cluster.ts';
import type { EventRecord } from './event-record.ts';

/** What a publish hands to the broker: the event before it has an id. */
export interface PublishInput {
  topic: string;
  event: string;
  /** The data as JSON text, serialised once by the hub. */
  data: string;
  /**
   * The app's transaction to publish in, as given to `hub.publish(…, { tx })`: the event must exist
   * if and only if that transaction commits. Only set for a broker whose `transactional` is true.
   */
  tx?: unknown;
  /**
   * Set when the publish carries an idempotency key (only for a broker whose `idempotent` is true).
   * `key` is already scoped by the hub to its caller; `windowMs` is how long it is remembered. The
   * broker must make "look the key up, store the event, remember the key with the event's id" one
   * atomic step across every hub sharing it: of any number of publishes with one key within the
   * window, racing on many nodes or not, exactly one stores an event, and every other one answers
   * a `DuplicatePublish` with that event's id. Inside a transaction (`tx`), a key is remembered only
   * if the transaction commits.
   */
  idempotency?: IdempotencyInput;
}

/** An idempotency key as the hub hands it to the broker. */
export interface IdempotencyInput {
  /** The key, scoped by the hub to the caller (see docs/protocol.md, "Idempotent publishing"). */
  key: string;
  /** How long the key is remembered after the publish that stored it, in ms. */
  windowMs: number;
}

/** What `publish` answers for a key it already holds: the first publish's event id. Nothing was stored. */
export interface DuplicatePublish {
  readonly duplicate: true;
  /** The id of the event the first publish with this key stored. */
  readonly id: string;
}

/** True when `result` is a `DuplicatePublish`, not a stored event. */
export function isDuplicatePublish(result: EventRecord | DuplicatePublish): result is DuplicatePublish {
  return (result as Partial<DuplicatePublish>).duplicate === true;
}

/**
 * History after a cursor. `events`: every retained event after it on the asked topics, in `seq`
 * order; `lost`: those of the asked topics that also had events after it which are no longer
 * retained (their clients are told to reset those topics; their retained events are still in
 * `events`). `reset`: nothing can be said (another epoch, or a cursor beyond the head): the client
 * starts over from the head.
 */
export type HistoryResult = { events: EventRecord[]; lost?: string[] } | { reset: true };

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
 * distributed one (Redis) implements the same members, and may assign ids itself.
 * Sync or async returns are both accepted so the embedded broker costs no promise per event.
 */
export interface Broker {
  /**
   * Stores an event, gives it the next id, and fans it out to every subscribed listener; or, for an
   * `idempotency` key it already holds, stores nothing and answers the first event's id.
   */
  publish(input: PublishInput): EventRecord | DuplicatePublish | Promise<EventRecord | DuplicatePublish>;
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
  /**
   * Claims `key` for `ttlMs`: true for the first claim, false for every later one (from any hub
   * sharing this broker) until the claim expires. It makes connect tickets single-use across nodes
   * (Redis: `SET key NX PX ttl`). Optional: a hub on a broker without it cannot issue or accept
   * tickets.
   */
  claimOnce?(key: string, ttlMs: number): boolean | Promise<boolean>;

  /**
   * True when `publish` honours `PublishInput.tx` (stores the event inside the app's transaction).
   * The hub refuses `{ tx }` for any other broker. Default: false.
   */
  readonly transactional?: boolean;
  /**
   * True when `publish` honours `PublishInput.idempotency`. The hub refuses idempotency keys for
   * any other broker (`hub.publish` with a TypeError, a client's publish with `bad_request`).
   * Default: false.
   */
  readonly idempotent?: boolean;

  /**
   * The cluster of the hubs sharing this broker: seats, presence, operator commands, node liveness.
   * Optional: without it each hub is a cluster of its own.
   */
  readonly cluster?: ClusterView;
  /** Releases what the broker holds. The hub calls it on `close()` only for a broker it created. */
  close?(): void | Promise<void>;
}
