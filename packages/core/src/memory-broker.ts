import type {
  Broker,
  BrokerHead,
  BrokerListener,
  DuplicatePublish,
  HistoryResult,
  PublishInput,
} from './broker.ts';
import { type Clock, SYSTEM_CLOCK } from './clock.ts';
import { createEpoch, formatEventId } from './event-id.ts';
import { EventRecord } from './event-record.ts';
import { RecordQueue } from './internal/record-queue.ts';
import { createMemoryCluster } from './memory-cluster.ts';
import { createRetentionPolicy, type RetentionOptions } from './retention.ts';

/** Options of the in-memory broker. */
export interface MemoryBrokerOptions extends RetentionOptions {
  /**
   * A memory bound across all topics: past this many retained events the oldest go first, whatever
   * their topic (and clients of that topic get a reset for it when they resume). Default 100000.
   */
  retentionMaxEvents?: number;
  /**
   * A memory bound on idempotency keys: past this many remembered keys the oldest is forgotten
   * first, even inside its window (a retry of that publish would then publish again). Default
   * 100000 (about 20 MB at most).
   */
  idempotencyMaxKeys?: number;
  /** The log's epoch. Default: a new random one, so a restarted process tells old cursors to reset. */
  epoch?: string;
  /**
   * For tests: where publish times and retention ages are read (the hub passes its own `clock`).
   * Default: `Date.now()`.
   */
  clock?: Pick<Clock, 'now'>;
}

/** One topic's history: its retained events and the newest seq it has lost. */
interface TopicLog {
  readonly records: RecordQueue;
  /** Seq of the newest event of this topic that is no longer retained (0: none lost). */
  lostUpTo: number;
}

// Topic logs left empty are dropped past this many, folding their marks into one conservative mark.
const MAX_IDLE_TOPICS = 10_000;
// Lapsed idempotency keys dropped per publish, at most: bounded work, and still more than the one
// key a publish adds, so lapsed keys never pile up.
const KEY_SWEEP = 16;

/** An idempotency key's event id and when the key lapses (ms). */
interface RememberedKey {
  readonly id: string;
  readonly until: number;
}

/**
 * The embedded broker: one ordered log per hub, retained per topic by count and age (a busy topic
 * never pushes a quiet one's events out), within one memory bound for all topics. Live events are
 * delivered synchronously inside `publish`, so a publish on one hub costs no promise or timer.
 * The hubs sharing one broker form one cluster (see `createMemoryCluster`).
 */
export function createMemoryBroker(options: MemoryBrokerOptions = {}): Broker {
  const retentionOf = createRetentionPolicy(options);
  const maxEvents = options.retentionMaxEvents ?? 100_000;
  if (!Number.isSafeInteger(maxEvents) || maxEvents <= 0) {
    throw new TypeError(`retentionMaxEvents must be a positive integer, got ${maxEvents}`);
  }
  const maxKeys = options.idempotencyMaxKeys ?? 100_000;
  if (!Number.isSafeInteger(maxKeys) || maxKeys <= 0) {
    throw new TypeError(`idempotencyMaxKeys must be a positive integer, got ${maxKeys}`);
  }
  const epoch = options.epoch ?? createEpoch();
  const clock = options.clock ?? SYSTEM_CLOCK;
  const listeners = new Set<BrokerListener>();
  const topics = new Map<string, TopicLog>();
  // Every retained record, in seq order, for the memory bound; records already trimmed from their
  // topic are skipped when they come up.
  const all = new RecordQueue();
  let retained = 0;
  let seq = 0;
  // The newest seq lost by any topic whose log was dropped: those topics count as lost before it.
  let droppedUpTo = 0;
  let sweepCursor: Iterator<[string, TopicLog]> | undefined;
  // Claimed keys and when each claim lapses. Expired ones are swept as new claims arrive, so the
  // map holds at most the claims of the last `ttlMs`.
  const claims = new Map<string, number>();
  // Idempotency keys, in the order they were stored, which is the order they lapse in while every
  // hub on this broker uses one window.
  const keys = new Map<string, RememberedKey>();

  /** The event id `key` stands for, if it is remembered and has not lapsed; sweeps a few lapsed keys. */
  function idOfKey(key: string, now: number): string | undefined {
    let swept = 0;
    for (const [stored, remembered] of keys) {
      if (remembered.until > now || swept++ >= KEY_SWEEP) break;
      keys.delete(stored);
    }
    const remembered = keys.get(key);
    if (remembered === undefined) return undefined;
    if (remembered.until > now) return remembered.id;
    keys.delete(key);
    return undefined;
  }

  function drop(log: TopicLog): void {
    const record = log.records.shift()!;
    log.lostUpTo = record.seq;
    retained--;
  }

  function trim(topic: string, log: TopicLog, now: number): void {
    const { count, ms } = retentionOf(topic);
    while (log.records.length > count) drop(log);
    const oldest = now - ms;
    while (log.records.length > 0 && log.records.first()!.time < oldest) drop(log);
  }

  function bound(): void {
    while (retained > maxEvents) {
      const record = all.shift()!;
      const log = topics.get(record.topic);
      if (log && log.records.first() === record) drop(log);
    }
    // The global queue also holds records their topic already dropped: compact by skipping them.
    while (all.length > 0) {
      const first = all.first()!;
      if (topics.get(first.topic)?.records.first() === first) break;
      all.shift();
    }
  }

  // Age trimming of topics nobody publishes to or reads: one other topic looked at per publish.
  function sweepOne(now: number): void {
    sweepCursor ??= topics.entries();
    const next = sweepCursor.next();
    if (next.done) {
      sweepCursor = undefined;
      return;
    }
    const [topic, log] = next.value;
    trim(topic, log, now);
    if (log.records.length === 0 && topics.size > MAX_IDLE_TOPICS) {
      droppedUpTo = Math.max(droppedUpTo, log.lostUpTo);
      topics.delete(topic);
    }
  }

  function lostAfter(topic: string, afterSeq: number): boolean {
    const log = topics.get(topic);
    return (log ? log.lostUpTo : droppedUpTo) > afterSeq;
  }

  return {
    idempotent: true,
    // The hubs sharing this broker are one cluster: seats, presence and commands span them all.
    cluster: createMemoryCluster(),
    publish(input: PublishInput): EventRecord | DuplicatePublish {
      const now = clock.now();
      const idempotency = input.idempotency;
      if (idempotency) {
        const id = idOfKey(idempotency.key, now);
        if (id !== undefined) return { duplicate: true, id };
      }
      seq++;
      const record = new EventRecord(
        seq,
        formatEventId(epoch, seq),
        input.topic,
        input.event,
        input.data,
        now,
      );
      let log = topics.get(input.topic);
      if (!log) {
        // A topic new to this log may have lost events while its log was dropped.
        log = { records: new RecordQueue(), lostUpTo: droppedUpTo };
        topics.set(input.topic, log);
      }
      log.records.push(record);
      all.push(record);
      retained++;
      trim(input.topic, log, now);
      bound();
      sweepOne(now);
      // Remembered before the fan-out, so a listener publishing again with the key is a duplicate.
      if (idempotency) {
        keys.set(idempotency.key, { id: record.id, until: now + idempotency.windowMs });
        if (keys.size > maxKeys) keys.delete(keys.keys().next().value!);
      }
      for (const listener of listeners) listener.event(record);
      return record;
    },
    subscribe(listener: BrokerListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    readAfter(wanted: readonly string[], cursorEpoch: string, afterSeq: number): HistoryResult {
      if (cursorEpoch !== epoch || afterSeq > seq) return { reset: true };
      const now = clock.now();
      const events: EventRecord[] = [];
      const lost: string[] = [];
      for (const topic of wanted) {
        const log = topics.get(topic);
        if (log) {
          trim(topic, log, now);
          log.records.collectAfter(afterSeq, events);
        }
        if (lostAfter(topic, afterSeq)) lost.push(topic);
      }
      if (wanted.length > 1) events.sort((a, b) => a.seq - b.seq);
      return lost.length > 0 ? { events, lost } : { events };
    },
    head(): BrokerHead {
      return { epoch, seq };
    },
    claimOnce(key: string, ttlMs: number): boolean {
      const now = Date.now();
      for (const [claimed, until] of claims) {
        if (until > now) break;
        claims.delete(claimed);
      }
      const until = claims.get(key);
      if (until !== undefined && until > now) return false;
      // Re-inserted at the end, so the map stays roughly in expiry order for the sweep above.
      claims.delete(key);
      claims.set(key, now + ttlMs);
      return true;
    },
    close(): void {
      listeners.clear();
      topics.clear();
      all.clear();
      retained = 0;
      claims.clear();
      keys.clear();
    },
  };
}
