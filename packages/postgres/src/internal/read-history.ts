import { EventRecord, formatEventId, type HistoryResult } from '@tidings/core/broker';
import type { PgResult } from '../postgres-client.ts';

/**
 * Retained events of the asked topics after `afterSeq` of `epoch`, page by page (each page one
 * snapshot), with the topics that lost events after it. Reset when the log has another epoch or
 * never issued the cursor's seq.
 */
export async function readHistory(
  read: (afterSeq: number) => Promise<PgResult>,
  epoch: string,
  afterSeq: number,
  pageSize: number,
): Promise<HistoryResult> {
  const events: EventRecord[] = [];
  const lost = new Set<string>();
  let after = afterSeq;
  for (;;) {
    const row = (await read(after)).rows[0]!;
    if (row.epoch !== epoch || afterSeq > Number(row.issued)) return { reset: true };
    for (const topic of row.lost as string[]) lost.add(topic);
    const seqs = row.seqs as string[];
    const topics = row.topics as string[];
    const names = row.events as string[];
    const datas = row.datas as string[];
    const times = row.times as string[];
    for (let i = 0; i < seqs.length; i++) {
      const seq = Number(seqs[i]);
      events.push(
        new EventRecord(seq, formatEventId(epoch, seq), topics[i]!, names[i]!, datas[i]!, Number(times[i])),
      );
    }
    if (seqs.length < pageSize) break;
    after = Number(seqs.at(-1));
  }
  return lost.size > 0 ? { events, lost: [...lost] } : { events };
}
