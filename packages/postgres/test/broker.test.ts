import { createHub } from '@tidings/core';
import type { BrokerHead, EventRecord } from '@tidings/core/broker';
import { describe, expect, it } from 'vitest';
import { createPostgresBroker, type PostgresBroker, type PostgresBrokerOptions } from '../src/index.ts';
import { usePgScratch } from './helpers/shared-pg.ts';
import { sleep, waitFor } from './helpers/wait-for.ts';

const db = usePgScratch({ poolMax: 10 });
type Seen = { seq: number; topic: string; data: string } | { reset: BrokerHead };

async function broker(schema: string, options: Partial<PostgresBrokerOptions> = {}): Promise<PostgresBroker> {
  const created = await createPostgresBroker({ pool: options.pool ?? db.pool(), schema, ...options });
  return db.track(created);
}

function listen(target: PostgresBroker): Seen[] {
  const seen: Seen[] = [];
  target.subscribe({
    event: (r: EventRecord) => seen.push({ seq: r.seq, topic: r.topic, data: r.data }),
    reset: (head) => seen.push({ reset: head }),
  });
  return seen;
}

const publish = (b: PostgresBroker, topic: string, data: unknown = null) =>
  b.publish({ topic, event: 'message', data: JSON.stringify(data) });
const seqs = (seen: Seen[]) => seen.map((s) => ('seq' in s ? s.seq : `reset@${s.reset.seq}`));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('createPostgresBroker', () => {
  it('orders events from many nodes and delivers each once, in order, on every node', async () => {
    const schema = db.schema();
    const a = await broker(schema);
    const b = await broker(schema);
    const seenA = listen(a);
    const seenB = listen(b);
    const records = await Promise.all(range(1, 40).map((i) => publish(i % 2 ? a : b, 't', { i })));
    const epoch = a.head().epoch;
    expect(b.head().epoch).toBe(epoch);
    expect(records.map((r) => r.seq).sort((x, y) => x - y)).toEqual(range(1, 40));
    for (const r of records) expect(r.id).toBe(`${epoch}-${r.seq}`);
    await waitFor(() => seenA.length >= 40 && seenB.length >= 40, 'both nodes to see 40 events');
    await sleep(50);
    expect(seqs(seenA)).toEqual(range(1, 40));
    expect(seqs(seenB)).toEqual(range(1, 40));
    expect(a.head()).toEqual({ epoch, seq: 40 });
  });

  it('replays retained events on the asked topics, page by page', async () => {
    const schema = db.schema();
    const a = await broker(schema, { readBatchSize: 3 });
    for (let i = 1; i <= 10; i++) await publish(a, i % 3 === 0 ? 'b' : 'a', { i });
    const epoch = a.head().epoch;
    const onlyB = await a.readAfter(['b'], epoch, 0);
    expect('events' in onlyB && onlyB.events.map((r) => r.seq)).toEqual([3, 6, 9]);
    const both = await a.readAfter(['a', 'b'], epoch, 4);
    expect('events' in both && both.events.map((r) => [r.seq, r.topic, r.data])).toEqual(
      range(5, 10).map((i) => [i, i % 3 === 0 ? 'b' : 'a', JSON.stringify({ i })]),
    );
    expect(await a.readAfter(['a'], epoch, 10)).toEqual({ events: [] });
    expect(await a.readAfter(['a'], 'otherepoch', 3)).toEqual({ reset: true });
    expect(await a.readAfter(['a'], epoch, 11)).toEqual({ reset: true });
  });
});

describe('retention per topic', () => {
  it('a quiet topic resumes without a reset after a busy topic wrote 100 times the retention', async () => {
    const schema = db.schema();
    const a = await broker(schema, { retentionCount: 5, readBatchSize: 4, trimIntervalMs: 50 });
    await publish(a, 'quiet', 'q1');
    for (let i = 0; i < 500; i++) await publish(a, 'busy', i);
    await publish(a, 'quiet', 'q2');
    const { epoch } = a.head();
    const quiet = await a.readAfter(['quiet'], epoch, 0);
    expect(quiet).toEqual({
      events: [expect.objectContaining({ seq: 1 }), expect.objectContaining({ seq: 502 })],
    });
    const both = await a.readAfter(['quiet', 'busy'], epoch, 0);
    expect('events' in both && both.lost).toEqual(['busy']);
    expect('events' in both && both.events.map((r) => r.seq)).toEqual([1, ...range(497, 502)]);
    expect(await a.readAfter(['busy'], epoch, 496)).toEqual({ events: expect.any(Array) });
  });

  it('applies retentionByTopic patterns, the longest match winning', async () => {
    const schema = db.schema();
    const a = await broker(schema, {
      retentionCount: 50,
      retentionByTopic: { 'prices.*': { count: 2 }, 'prices.gold': { count: 4 } },
    });
    for (let i = 0; i < 6; i++) {
      for (const topic of ['prices.oil', 'prices.gold', 'news']) await publish(a, topic, i);
    }
    const { epoch } = a.head();
    const kept = async (topic: string) => {
      const result = await a.readAfter([topic], epoch, 0);
      return 'events' in result ? [result.events.length, result.lost] : 'reset';
    };
    expect(await kept('prices.oil')).toEqual([2, ['prices.oil']]);
    expect(await kept('prices.gold')).toEqual([4, ['prices.gold']]);
    expect(await kept('news')).toEqual([6, undefined]);
  });

  it('expires events by age; the trim drops rows and keeps exact loss marks, then forgets empty topics', async () => {
    const schema = db.schema();
    const pool = db.pool();
    const a = await broker(schema, {
      pool,
      retentionMs: 60_000,
      retentionByTopic: { short: { ms: 200 } },
      trimIntervalMs: 50,
    });
    await publish(a, 'short', 'old');
    await publish(a, 'long', 'kept');
    await sleep(400);
    const { epoch } = a.head();
    // Expired, whether or not the trim has run yet.
    expect(await a.readAfter(['short'], epoch, 0)).toEqual({ events: [], lost: ['short'] });
    expect(await a.readAfter(['short'], epoch, 1)).toEqual({ events: [] });
    await waitFor(
      async () => (await pool.query(`SELECT count(*)::int AS n FROM ${schema}.events`)).rows[0].n === 1,
      'the trim to drop the expired row',
    );
    expect((await pool.query(`SELECT lost FROM ${schema}.topics WHERE topic = 'short'`)).rows).toEqual([
      { lost: '1' },
    ]);
    expect(await a.readAfter(['short', 'long'], epoch, 0)).toEqual({
      events: [expect.objectContaining({ seq: 2 })],
      lost: ['short'],
    });
    // With no events left, its row goes and its mark folds into meta.forgot: still exact for it.
    await waitFor(
      async () => (await pool.query(`SELECT forgot FROM ${schema}.meta`)).rows[0].forgot === '1',
      'the empty topic to be forgotten',
    );
    expect((await pool.query(`SELECT topic FROM ${schema}.topics ORDER BY topic`)).rows).toEqual([
      { topic: 'long' },
    ]);
    expect(await a.readAfter(['short'], epoch, 0)).toEqual({ events: [], lost: ['short'] });
    expect(await a.readAfter(['short'], epoch, 1)).toEqual({ events: [] });
  });

  it('answers reset for a log with another epoch', async () => {
    const schema = db.schema();
    const pool = db.pool();
    const a = await broker(schema, { pool });
    const seen = listen(a);
    await publish(a, 't', 1);
    await waitFor(() => seen.length === 1, 'the first event');
    const old = a.head().epoch;
    // What dropping and creating the tables again leaves: a new epoch, seqs from 1 again.
    await pool.query(`UPDATE ${schema}.meta SET epoch = 'newepoch'`);
    await publish(a, 't', 2);
    await waitFor(() => seen.length >= 3, 'a reset and the events of the new epoch');
    expect(seen[1]).toEqual({ reset: { epoch: 'newepoch', seq: 0 } });
    expect(seqs(seen.slice(2))).toEqual([1, 2]);
    expect(await a.readAfter(['t'], old, 1)).toEqual({ reset: true });
  });
});

describe('a restore from a backup', () => {
  it('takes the sequence back below what nodes delivered: a new epoch, every node and cursor reset, no silent loss', async () => {
    const schema = db.schema();
    const pool = db.pool();
    const a = await broker(schema, { pool });
    const b = await broker(schema);
    const seenB: ({ id: string; data: string } | { reset: BrokerHead })[] = [];
    b.subscribe({
      event: (r: EventRecord) => seenB.push({ id: r.id, data: r.data }),
      reset: (head) => seenB.push({ reset: head }),
    });
    for (let i = 1; i <= 5; i++) await publish(a, 't', `old ${i}`);
    await waitFor(() => seenB.length === 5, 'node B to deliver five events');
    const old = b.head();
    expect(old.seq).toBe(5);
    // The database as a backup taken at seq 2 left it: rows 3 to 5 and their seqs gone, the epoch
    // the same. Nodes and clients still hold cursors up to <epoch>-5.
    await pool.query(`BEGIN;
DELETE FROM ${schema}.events WHERE seq > 2;
SELECT setval('${schema}.events_seq_seq', 2);
COMMIT;`);
    // What wakes the nodes after a restore (a reconnect, any notification).
    await pool.query('SELECT pg_notify($1, $2)', [schema, '0']);
    await waitFor(() => seenB.some((s) => 'reset' in s), 'node B to reset', 3000);
    const renewed = b.head().epoch;
    expect(renewed).not.toBe(old.epoch);
    expect(seenB[5]).toEqual({ reset: { epoch: renewed, seq: 0 } });
    await waitFor(() => a.head().epoch === renewed, 'node A to adopt the same new epoch');

    // Seqs 3 to 5 are issued again, for other events: under the new epoch, never as the old ids.
    const fresh = [];
    for (let i = 3; i <= 5; i++) fresh.push(await publish(a, 't', `new ${i}`));
    expect(fresh.map((r) => r.id)).toEqual([3, 4, 5].map((seq) => `${renewed}-${seq}`));
    await waitFor(() => seenB.length === 11, 'node B to deliver the log of the new epoch');
    expect(seenB.slice(6)).toEqual(
      ['old 1', 'old 2', 'new 3', 'new 4', 'new 5'].map((data, i) => ({
        id: `${renewed}-${i + 1}`,
        data: JSON.stringify(data),
      })),
    );

    // A cursor from before the restore, ahead of the table or not, is reset, not resumed.
    expect(await b.readAfter(['t'], old.epoch, 5)).toEqual({ reset: true });
    expect(await b.readAfter(['t'], old.epoch, 2)).toEqual({ reset: true });
    const hub = createHub({ anonymous: true, broker: b });
    try {
      const response = await hub.handle(new Request(`http://x/poll?topics=t&cursor=${old.epoch}-5`));
      expect(response.status).toBe(200);
      // Reset to the start of the new epoch, from where the client reads the whole new log.
      expect(await response.json()).toEqual({ events: [], cursor: `${renewed}-0`, reset: true });
      const next = await hub.handle(new Request(`http://x/poll?topics=t&cursor=${renewed}-0`));
      const { events } = (await next.json()) as { events: { id: string; data: string }[] };
      expect(events.map((e) => [e.id, e.data])).toEqual(
        ['old 1', 'old 2', 'new 3', 'new 4', 'new 5'].map((data, i) => [`${renewed}-${i + 1}`, data]),
      );
    } finally {
      await hub.close();
    }
  });
});
