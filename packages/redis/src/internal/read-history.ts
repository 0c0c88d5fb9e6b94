import type { EventRecord, HistoryResult } from '@tidings/core/broker';
import type { TopicReader } from './log-page.ts';

const RESET: HistoryResult = { reset: true };

/**
 * Retained events on `topics` after `afterSeq` of `epoch`, read page by page up to the head seen by
 * the first page, with the topics that lost events after it (per topic: a busy topic's trimming
 * never resets a quiet one). Reset when the cursor belongs to another epoch or lies beyond the head.
 */
export async function readHistory(
  read: TopicReader,
  topics: readonly string[],
  epoch: string,
  afterSeq: number,
): Promise<{ result: HistoryResult; logEpoch: string }> {
  let page = await read(topics, epoch, afterSeq);
  const logEpoch = page.epoch;
  if (page.reset) return { result: RESET, logEpoch };
  const end = page.head;
  const events: EventRecord[] = [];
  const lost = new Set<string>();
  for (;;) {
    if (page.reset || page.epoch !== logEpoch) return { result: RESET, logEpoch };
    for (const topic of page.lost) lost.add(topic);
    for (const record of page.records) events.push(record);
    if (page.next === undefined) break;
    page = await read(topics, epoch, page.next, end);
  }
  return { result: lost.size > 0 ? { events, lost: [...lost] } : { events }, logEpoch };
}
