import type { EventRecord } from '../event-record.ts';
import { RESERVED_EVENT_PREFIX } from '../protocol/presence.ts';
import type { Connection } from './connection.ts';
import { createTopicMatcher } from './topic-patterns.ts';

// How soon a connection holding events is looked at again, in ms: its queue drains meanwhile. One
// timer for the hub, running only while some connection holds events.
const FLUSH_MS = 10;

/** The conflation key: an event of a conflated topic stands for every older one of its topic and name. */
function keyOf(record: EventRecord): string {
  // Neither topics nor event names contain a line break.
  return `${record.topic}\n${record.event}`;
}

/** What a held event counts against the connection's budget, in bytes (near enough: its envelope). */
function sizeOf(record: EventRecord): number {
  return record.envelope.length;
}

/** A connection's events held back while it is behind. */
class Backlog {
  /**
   * In seq order (a Map keeps insertion order; a replaced event is deleted and the newer one
   * appended): events of conflated topics under their conflation key, one each; others under their seq.
   */
  readonly held = new Map<string | number, EventRecord>();
  /** Held events that replaced older ones: they go out with `"conflated":true`. */
  flagged: Set<EventRecord> | undefined;
  bytes = 0;

  hold(record: EventRecord, conflated: boolean): void {
    const key = conflated ? keyOf(record) : record.seq;
    if (conflated) {
      const older = this.held.get(key);
      if (older !== undefined) {
        this.held.delete(key);
        this.bytes -= sizeOf(older);
        this.flagged ??= new Set();
        this.flagged.delete(older);
        this.flagged.add(record);
      }
    }
    this.held.set(key, record);
    this.bytes += sizeOf(record);
  }
}

/** Events kept by `squash`, and which of them stand for older ones. */
export interface Squashed {
  readonly records: EventRecord[];
  readonly flagged: ReadonlySet<EventRecord>;
}

/** What conflation needs to know of the hub's options. */
export interface ConflationOptions {
  conflateTopics: readonly string[];
  conflateBufferedBytes: number;
  maxBufferedBytes: number;
}

/**
 * Conflation of state topics (the hub's `conflateTopics`). Live: a connection with more than
 * `conflateBufferedBytes` queued is behind, and an event of a conflated topic is then held instead
 * of written; a newer event of the same topic and name replaces the held one. Once something is
 * held, every later event for that connection queues behind it (ids must reach a client in order),
 * and held events go out, oldest first, as the connection's queue drains under the mark. Held bytes
 * and queued bytes together stay within `maxBufferedBytes`, past which the connection is dropped as
 * a slow consumer as without conflation: memory is bounded by the number of distinct names, never
 * by the publish rate. Replays and poll answers: `squash` keeps the newest event per name.
 *
 * Only a hub with conflated topics makes one: the plain fan-out path never sees it.
 */
export class Conflation {
  readonly #conflates: (topic: string) => boolean;
  readonly #markBytes: number;
  readonly #maxBytes: number;
  readonly #backlogs = new Map<Connection, Backlog>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ConflationOptions) {
    this.#conflates = createTopicMatcher(options.conflateTopics);
    this.#markBytes = options.conflateBufferedBytes;
    this.#maxBytes = options.maxBufferedBytes;
  }

  /**
   * True when `record` may be conflated: its topic is, and it is not one of the hub's own events
   * (`tidings:join` and `tidings:leave` name a user each: every one of them matters).
   */
  conflates(record: EventRecord): boolean {
    return this.#conflates(record.topic) && !record.event.startsWith(RESERVED_EVENT_PREFIX);
  }

  /** The fan-out of one event to its topic's subscribers. */
  fanOut(subscribers: Iterable<Connection>, record: EventRecord): void {
    const conflated = this.conflates(record);
    if (!conflated && this.#backlogs.size === 0) {
      for (const connection of subscribers) connection.offer(record);
      return;
    }
    for (const connection of subscribers) this.#offer(connection, record, conflated);
  }

  #offer(connection: Connection, record: EventRecord, conflated: boolean): void {
    let backlog = this.#backlogs.get(connection);
    if (backlog === undefined) {
      if (
        !conflated ||
        connection.pending ||
        connection.state !== 'open' ||
        connection.bufferedAmount() <= this.#markBytes
      ) {
        connection.offer(record);
        return;
      }
      backlog = new Backlog();
      this.#backlogs.set(connection, backlog);
      this.#schedule();
    }
    if (connection.state !== 'open') {
      this.#backlogs.delete(connection);
      return;
    }
    if (record.seq <= connection.lastSeq) return;
    backlog.hold(record, conflated);
    this.#flush(connection, backlog);
    if (backlog.bytes > 0 && backlog.bytes + connection.bufferedAmount() > this.#maxBytes) {
      this.#backlogs.delete(connection);
      connection.dropSlow();
    }
  }

  // Writes held events, oldest first, while the connection's queue is under the mark.
  #flush(connection: Connection, backlog: Backlog): void {
    for (const [key, record] of backlog.held) {
      if (connection.state !== 'open' || connection.bufferedAmount() > this.#markBytes) return;
      backlog.held.delete(key);
      backlog.bytes -= sizeOf(record);
      // A topic unsubscribed while its events waited is not sent any more of them.
      if (!connection.topics.includes(record.topic)) continue;
      if (backlog.flagged?.delete(record)) connection.deliverConflated(record);
      else connection.deliver(record);
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(this.#sweep, FLUSH_MS);
    // Never keeps a Node process alive by itself: the connections it serves do.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  readonly #sweep = (): void => {
    this.#timer = undefined;
    for (const [connection, backlog] of this.#backlogs) {
      this.#flush(connection, backlog);
      if (connection.state !== 'open' || backlog.held.size === 0) this.#backlogs.delete(connection);
    }
    if (this.#backlogs.size > 0) this.#schedule();
  };

  /**
   * Writes everything `connection` holds now, behind or not: a replay is about to be written to it,
   * and must come after what the connection was already owed.
   */
  release(connection: Connection): void {
    const backlog = this.#backlogs.get(connection);
    if (backlog === undefined) return;
    this.#backlogs.delete(connection);
    for (const record of backlog.held.values()) {
      if (connection.state !== 'open') return;
      if (!connection.topics.includes(record.topic)) continue;
      if (backlog.flagged?.has(record)) connection.deliverConflated(record);
      else connection.deliver(record);
    }
  }

  /** Forgets every held event: the log reset, so they belong to positions no longer valid. */
  clear(): void {
    this.#backlogs.clear();
  }

  /** Stops the timer and forgets every held event (the hub closes). */
  close(): void {
    this.clear();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * `records` (in seq order) with only the newest event per topic and name on conflated topics:
   * "latest per key since the cursor" for replays and poll answers. Undefined when nothing would
   * be dropped, so a caller sends `records` as they are.
   */
  squash(records: readonly EventRecord[]): Squashed | undefined {
    if (records.length < 2) return undefined;
    let latest: Map<string, EventRecord> | undefined;
    let repeated: Set<string> | undefined;
    for (const record of records) {
      if (!this.conflates(record)) continue;
      const key = keyOf(record);
      latest ??= new Map();
      if (latest.has(key)) {
        repeated ??= new Set();
        repeated.add(key);
      }
      latest.set(key, record);
    }
    if (!latest || !repeated) return undefined;
    const kept: EventRecord[] = [];
    const flagged = new Set<EventRecord>();
    for (const record of records) {
      if (!this.conflates(record)) {
        kept.push(record);
        continue;
      }
      const key = keyOf(record);
      if (latest.get(key) !== record) continue;
      kept.push(record);
      if (repeated.has(key)) flagged.add(record);
    }
    return { records: kept, flagged };
  }
}
