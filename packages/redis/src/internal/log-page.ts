import type { BrokerHead } from '@tidings/core';
import { EventRecord, formatEventId } from '@tidings/core';
import type { EpochSource } from './epoch-source.ts';
import type { ScriptRunner } from './script.ts';

/** One atomic read of the log: the head at that moment and up to a page of entries after a seq. */
export interface LogPage {
  epoch: string;
  /** The highest seq issued in `epoch`. */
  head: number;
  /** Entries looked at (before the topic filter). */
  scanned: number;
  /** Seq of the first and last entry looked at; 0 when none. */
  firstSeq: number;
  lastSeq: number;
  /** The entries on the wanted topics, in order. */
  records: EventRecord[];
}

/** Reads the page after `afterSeq`, up to `toSeq` (default: the head), on `topics` (default: all). */
export type PageReader = (afterSeq: number, toSeq?: number, topics?: readonly string[]) => Promise<LogPage>;

function seqOf(id: unknown): number {
  const text = String(id);
  return Number(text.slice(0, text.indexOf('-')));
}

/**
 * Binds the read script to a page size, the epoch to start should the log have none, and this
 * node's head (so Redis can tell when it has forgotten events the node already saw).
 */
export function createPageReader(
  read: ScriptRunner,
  pageSize: number,
  epochs: EpochSource,
  seen: () => BrokerHead,
): PageReader {
  const count = String(pageSize);
  return async (afterSeq, toSeq, topics = []) => {
    const { epoch: seenEpoch, seq: seenSeq } = seen();
    const reply = await read([
      `${afterSeq + 1}-0`,
      toSeq === undefined ? '+' : `${toSeq}-0`,
      count,
      epochs.candidate,
      seenEpoch,
      String(seenSeq),
      ...topics,
    ]);
    const epoch = String(reply[0]);
    epochs.seen(epoch);
    const records: EventRecord[] = [];
    for (let i = 5; i + 4 < reply.length; i += 5) {
      const seq = seqOf(reply[i]);
      records.push(
        new EventRecord(
          seq,
          formatEventId(epoch, seq),
          String(reply[i + 2]),
          String(reply[i + 3]),
          String(reply[i + 4]),
          Number(reply[i + 1]),
        ),
      );
    }
    const scanned = Number(reply[2]);
    return {
      epoch,
      head: Number(reply[1]),
      scanned,
      firstSeq: scanned > 0 ? seqOf(reply[3]) : 0,
      lastSeq: scanned > 0 ? seqOf(reply[4]) : 0,
      records,
    };
  };
}
