import type { BrokerHead } from '@tidings/core/broker';
import { EventRecord, formatEventId } from '@tidings/core/broker';
import type { EpochSource } from './epoch-source.ts';
import type { ScriptRunner } from './script.ts';

/** One atomic read of every topic's events after a seq, in seq order, for the live feed. */
export interface LogPage {
  epoch: string;
  /** The highest seq issued in `epoch`. */
  head: number;
  /** Seq of the oldest event the recent stream still names (0: none). */
  firstSeq: number;
  /** The events read, in order; `undefined` for a seq whose event its topic no longer holds. */
  records: { seq: number; record: EventRecord | undefined }[];
}

/** Reads the events after `afterSeq`, up to `toSeq` (default: the head), of every topic. */
export type PageReader = (afterSeq: number, toSeq?: number) => Promise<LogPage>;

/** What one page of a replay holds. */
export interface TopicPage {
  epoch: string;
  head: number;
  /** True when the cursor is of another epoch or beyond the head. */
  reset: boolean;
  /** Topics that lost events after the seq read from. */
  lost: string[];
  records: EventRecord[];
  /** Where the next page starts; undefined when this one reached the end. */
  next: number | undefined;
}

/** Reads one page of the replay of `topics` after `afterSeq` of `epoch`, up to `toSeq` (default: the head). */
export type TopicReader = (
  topics: readonly string[],
  epoch: string,
  afterSeq: number,
  toSeq?: number,
) => Promise<TopicPage>;

function record(epoch: string, seq: number, reply: unknown[], i: number): EventRecord {
  return new EventRecord(
    seq,
    formatEventId(epoch, seq),
    String(reply[i + 1]),
    String(reply[i + 2]),
    String(reply[i + 3]),
    Number(reply[i]),
  );
}

/**
 * Binds the range script to a page size, the epoch to start should the log have none, and this
 * node's head (so Redis can tell when it has forgotten events the node already saw).
 */
export function createPageReader(
  run: ScriptRunner,
  pageSize: number,
  epochs: EpochSource,
  seen: () => BrokerHead,
): PageReader {
  return async (afterSeq, toSeq) => {
    const { epoch: seenEpoch, seq: seenSeq } = seen();
    const reply = await run([
      epochs.candidate,
      seenEpoch,
      String(seenSeq),
      String(afterSeq),
      toSeq === undefined ? '' : String(toSeq),
      String(pageSize),
    ]);
    const epoch = String(reply[0]);
    epochs.seen(epoch);
    const records: LogPage['records'] = [];
    for (let i = 3; i + 5 < reply.length; i += 6) {
      const seq = Number(reply[i]);
      records.push({ seq, record: reply[i + 1] === '1' ? record(epoch, seq, reply, i + 2) : undefined });
    }
    return { epoch, head: Number(reply[1]), firstSeq: Number(reply[2]), records };
  };
}

/** Binds the read script to a page size, the retention of each topic, and the epoch source. */
export function createTopicReader(
  run: ScriptRunner,
  pageSize: number,
  epochs: EpochSource,
  seen: () => BrokerHead,
  retentionMsOf: (topic: string) => number,
): TopicReader {
  return async (topics, cursorEpoch, afterSeq, toSeq) => {
    const { epoch: seenEpoch, seq: seenSeq } = seen();
    const args = [
      epochs.candidate,
      seenEpoch,
      String(seenSeq),
      cursorEpoch,
      String(afterSeq),
      toSeq === undefined ? '' : String(toSeq),
      String(pageSize),
    ];
    for (const topic of topics) args.push(topic, String(retentionMsOf(topic)));
    const reply = await run(args);
    const epoch = String(reply[0]);
    epochs.seen(epoch);
    const head = Number(reply[1]);
    if (reply[2] === 'reset') return { epoch, head, reset: true, lost: [], records: [], next: undefined };
    const lostCount = Number(reply[3]);
    const lost = reply.slice(4, 4 + lostCount).map(String);
    const records: EventRecord[] = [];
    for (let i = 4 + lostCount; i + 4 < reply.length; i += 5) {
      records.push(record(epoch, Number(reply[i]), reply, i + 1));
    }
    const next = reply[2] === '' ? undefined : Number(reply[2]);
    return { epoch, head, reset: false, lost, records, next };
  };
}
