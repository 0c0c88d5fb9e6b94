import type { Broker, BrokerHead, BrokerListener, HistoryResult, PublishInput } from './broker.ts';
import { createEpoch, formatEventId } from './event-id.ts';
import { EventRecord } from './event-record.ts';

/** Options of the in-memory broker. */
export interface MemoryBrokerOptions {
  /** Events kept for replay, across all topics. Default 1000. */
  retentionCount?: number;
  /** How long an event is kept for replay, in ms. Default 300000 (5 minutes). */
  retentionMs?: number;
  /** The log's epoch. Default: a new random one, so a restarted process tells old cursors to reset. */
  epoch?: string;
}

// Per-topic eviction marks let a client be told to reset only when *its* topics lost events. The
// map is bounded: past this many topics it is dropped and the global mark is used (conservative).
const MAX_TRACKED_TOPICS = 10_000;

/**
 * The embedded broker: one ordered log per hub, retained by count and by age. Live events are
 * delivered synchronously inside `publish`, so a publish on one hub costs no promise or timer.
 */
export function createMemoryBroker(options: MemoryBrokerOptions = {}): Broker {
  const retentionCount = options.retentionCount ?? 1000;
  const retentionMs = options.retentionMs ?? 300_000;
  const epoch = options.epoch ?? createEpoch();
  const listeners = new Set<BrokerListener>();
  // A ring would avoid the shift cost, but `splice` of a prefix is amortised small at these sizes.
  let log: EventRecord[] = [];
  let seq = 0;
  let evictedUpTo = 0;
  let evictedByTopic: Map<string, number> | undefined = new Map();

  function evict(now: number): void {
    let drop = Math.max(0, log.length - retentionCount);
    const oldest = now - retentionMs;
    while (drop < log.length && log[drop]!.time < oldest) drop++;
    if (drop === 0) return;
    for (let i = 0; i < drop; i++) {
      const record = log[i]!;
      evictedByTopic?.set(record.topic, record.seq);
    }
    evictedUpTo = log[drop - 1]!.seq;
    if (evictedByTopic && evictedByTopic.size > MAX_TRACKED_TOPICS) evictedByTopic = undefined;
    log = drop === log.length ? [] : log.slice(drop);
  }

  function lostAfter(topics: readonly string[], afterSeq: number): boolean {
    if (afterSeq >= evictedUpTo) return false;
    if (!evictedByTopic) return true;
    return topics.some((topic) => (evictedByTopic!.get(topic) ?? 0) > afterSeq);
  }

  function firstAfter(afterSeq: number): number {
    let lo = 0;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (log[mid]!.seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  return {
    publish(input: PublishInput): EventRecord {
      const now = Date.now();
      seq++;
      const record = new EventRecord(
        seq,
        formatEventId(epoch, seq),
        input.topic,
        input.event,
        input.data,
        now,
      );
      log.push(record);
      evict(now);
      for (const listener of listeners) listener.event(record);
      return record;
    },
    subscribe(listener: BrokerListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    readAfter(topics: readonly string[], cursorEpoch: string, afterSeq: number): HistoryResult {
      evict(Date.now());
      if (cursorEpoch !== epoch || afterSeq > seq || lostAfter(topics, afterSeq)) return { reset: true };
      const wanted = topics.length === 1 ? undefined : new Set(topics);
      const events: EventRecord[] = [];
      for (let i = firstAfter(afterSeq); i < log.length; i++) {
        const record = log[i]!;
        if (wanted ? wanted.has(record.topic) : record.topic === topics[0]) events.push(record);
      }
      return { events };
    },
    head(): BrokerHead {
      return { epoch, seq };
    },
    close(): void {
      listeners.clear();
      log = [];
    },
  };
}
