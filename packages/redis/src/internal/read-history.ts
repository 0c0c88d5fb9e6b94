import type { EventRecord, HistoryResult } from '@tidings/core';
import type { PageReader } from './log-page.ts';

const RESET: HistoryResult = { reset: true };

/**
 * Retained events on `topics` after `afterSeq` of `epoch`, read page by page up to the head seen
 * by the first page. It answers reset when the cursor belongs to another epoch, lies beyond the
 * head, or when any event after it is no longer in the stream, whatever its topic: Redis trims
 * by count without saying what it dropped, so this is the safe side.
 */
export async function readHistory(
  read: PageReader,
  topics: readonly string[],
  epoch: string,
  afterSeq: number,
): Promise<{ result: HistoryResult; logEpoch: string }> {
  let page = await read(afterSeq, undefined, topics);
  const logEpoch = page.epoch;
  const end = page.head;
  if (logEpoch !== epoch || afterSeq > end) return { result: RESET, logEpoch };
  const events: EventRecord[] = [];
  let last = afterSeq;
  while (last < end) {
    if (page.epoch !== epoch || page.scanned === 0 || page.firstSeq !== last + 1) {
      return { result: RESET, logEpoch };
    }
    for (const record of page.records) events.push(record);
    last = page.lastSeq;
    if (last < end) page = await read(last, end, topics);
  }
  return { result: { events }, logEpoch };
}
