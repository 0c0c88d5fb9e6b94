import { createHub } from '@tidings/core';
import type { BrokerHead, EventRecord } from '@tidings/core/broker';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresBroker, type PostgresBroker } from '../src/index.ts';
import { createStatements } from '../src/internal/statements.ts';
import { usePgScratch } from './helpers/shared-pg.ts';
import { sleep, waitFor } from './helpers/wait-for.ts';

// Events published inside the app's transactions: they exist iff it commits, and the feed delivers
// them in seq order even when transactions commit in another order than they took their seqs.
const db = usePgScratch({ poolMax: 12 });
type Seen = { seq: number; data: string } | { reset: BrokerHead };

const clients: pg.PoolClient[] = [];

// Runs before the scratch's own cleanup (after hooks run in reverse order of registration), so
// open transactions end before brokers close and pools end.
afterEach(() => {
  for (const client of clients.splice(0)) client.release(true);
});

async function setup(nodes = 2): Promise<{ pool: pg.Pool; schema: string; brokers: PostgresBroker[] }> {
  const pool = db.pool();
  const schema = db.schema();
  const created: PostgresBroker[] = [];
  for (let i = 0; i < nodes; i++)
    created.push(db.track(await createPostgresBroker({ pool, schema, pollMs: 10 })));
  await pool.query(`CREATE TABLE ${schema}.notes (id serial PRIMARY KEY, text text NOT NULL)`);
  return { pool, schema, brokers: created };
}

async function begin(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  clients.push(client);
  await client.query('BEGIN');
  return client;
}

function listen(target: PostgresBroker): Seen[] {
  const seen: Seen[] = [];
  target.subscribe({
    event: (r: EventRecord) => seen.push({ seq: r.seq, data: r.data }),
    reset: (head) => seen.push({ reset: head }),
  });
  return seen;
}

const input = (data: unknown) => ({ topic: 'notes', event: 'created', data: JSON.stringify(data) });
const datas = (seen: Seen[]) => seen.map((s) => ('seq' in s ? JSON.parse(s.data) : 'reset'));

describe('publishing inside transactions', () => {
  it('delivers in seq order when transactions commit in reverse order: none skipped, none twice', async () => {
    const {
      pool,
      brokers: [a, b],
    } = await setup();
    const seenA = listen(a!);
    const seenB = listen(b!);
    const txs: pg.PoolClient[] = [];
    const records: EventRecord[] = [];
    for (let i = 0; i < 5; i++) {
      const tx = await begin(pool);
      txs.push(tx);
      records.push(await a!.publishIn(tx, input(i)));
    }
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    // Seqs 5, 4, 3 and 2 commit first: they are visible, but seq 1 may still commit below them.
    for (const tx of txs.slice(1).reverse()) await tx.query('COMMIT');
    const after = await b!.readAfter(['notes'], b!.head().epoch, 0);
    await sleep(150);
    expect(seenA).toEqual([]);
    expect(seenB).toEqual([]);
    expect(after).toEqual({ events: [] });
    await txs[0]!.query('COMMIT');
    await waitFor(() => seenA.length >= 5 && seenB.length >= 5, 'all five on both nodes');
    await sleep(50);
    expect(datas(seenA)).toEqual([0, 1, 2, 3, 4]);
    expect(datas(seenB)).toEqual([0, 1, 2, 3, 4]);
    const replay = await b!.readAfter(['notes'], b!.head().epoch, 0);
    expect('events' in replay && replay.events.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('never delivers the event of a rolled-back transaction, and delivers the ones around it', async () => {
    const {
      pool,
      schema,
      brokers: [a, b],
    } = await setup();
    const seenB = listen(b!);
    const kept = await begin(pool);
    const dropped = await begin(pool);
    await kept.query(`INSERT INTO ${schema}.notes (text) VALUES ('kept')`);
    await a!.publishIn(kept, input('kept-1'));
    await dropped.query(`INSERT INTO ${schema}.notes (text) VALUES ('dropped')`);
    const ghost = await a!.publishIn(dropped, input('rolled back'));
    await a!.publishIn(kept, input('kept-2'));
    await dropped.query('ROLLBACK');
    await kept.query('COMMIT');
    await publishPlain(a!, 'after');
    await waitFor(() => seenB.length >= 3, 'three events on B');
    await sleep(100);
    expect(datas(seenB)).toEqual(['kept-1', 'kept-2', 'after']);
    expect(seenB.some((s) => 'seq' in s && s.seq === ghost.seq)).toBe(false);
    const replay = await b!.readAfter(['notes'], b!.head().epoch, 0);
    expect('events' in replay && replay.events.map((r) => JSON.parse(r.data))).toEqual([
      'kept-1',
      'kept-2',
      'after',
    ]);
    const notes = await pool.query(`SELECT text FROM ${schema}.notes ORDER BY id`);
    expect(notes.rows.map((r) => r.text)).toEqual(['kept']);
  });

  it('hub.publish(topic, data, { tx }) publishes in the transaction; other brokers refuse tx', async () => {
    const {
      pool,
      brokers: [a, b],
    } = await setup();
    const hub = createHub({ anonymous: true, broker: a! });
    const seenB = listen(b!);
    const tx = await begin(pool);
    const id = await hub.publish('notes', { text: 'in tx' }, { event: 'created', tx });
    await sleep(100);
    expect(seenB).toEqual([]);
    await tx.query('COMMIT');
    await waitFor(() => seenB.length === 1, 'the committed event');
    expect(seenB[0]).toMatchObject({ seq: Number(id.split('-')[1]) });
    const memory = createHub({ anonymous: true });
    await expect(memory.publish('notes', 1, { tx })).rejects.toThrow(TypeError);
    await hub.close();
    await memory.close();
  });

  it('works with a Drizzle transaction over node-postgres: commit delivers, rollback never', async () => {
    const {
      pool,
      schema,
      brokers: [a, b],
    } = await setup();
    const seenB = listen(b!);
    const orm = drizzle({ client: pool });
    await orm.transaction(async (tx) => {
      await tx.execute(`INSERT INTO ${schema}.notes (text) VALUES ('drizzle')`);
      await a!.publishIn(tx, input('drizzle committed'));
    });
    await orm
      .transaction(async (tx) => {
        await a!.publishIn(tx, input('drizzle rolled back'));
        tx.rollback();
      })
      .catch(() => {});
    await publishPlain(a!, 'after');
    await waitFor(() => seenB.length >= 2, 'two events on B');
    await sleep(100);
    expect(datas(seenB)).toEqual(['drizzle committed', 'after']);
  });

  it('an open transaction that wrote elsewhere does not hold events back; one that published does', async () => {
    const {
      pool,
      schema,
      brokers: [a, b],
    } = await setup();
    const seenB = listen(b!);
    // A long transaction of the app on its own table has an xid (it would hold back a feed that
    // waited for the snapshot's xmin); it never touched the events table, so it holds nothing back.
    const unrelated = await begin(pool);
    await unrelated.query(`INSERT INTO ${schema}.notes (text) VALUES ('slow job')`);
    await publishPlain(a!, 'while a job runs');
    await waitFor(() => seenB.length === 1, 'the event, with the unrelated transaction still open');
    const publishing = await begin(pool);
    await a!.publishIn(publishing, input('in a transaction'));
    await publishPlain(a!, 'after it');
    await sleep(150);
    expect(datas(seenB)).toEqual(['while a job runs']);
    await publishing.query('COMMIT');
    await waitFor(() => seenB.length === 3, 'both, in order, once the publishing transaction ended');
    expect(datas(seenB)).toEqual(['while a job runs', 'in a transaction', 'after it']);
    await unrelated.query('ROLLBACK');
  });

  // Transactions that touch the events' tables but draw no seq, held open: none of them may hold
  // delivery back, and a reader must see its own write at once.
  const seqless: { what: string; run(tx: pg.PoolClient, schema: string): Promise<unknown> }[] = [
    {
      // What a trim does (another node's, or this one's): it writes to the events table.
      what: 'a trim (a DELETE on events)',
      run: (tx, schema) => tx.query(`DELETE FROM ${schema}.events WHERE seq = 1`),
    },
    {
      // What every node runs on each notification and each replay: a node caught mid-round.
      what: "a node's round and replay",
      run: async (tx, schema) => {
        const sql = createStatements(schema);
        await tx.query(sql.round, [0]);
        await tx.query(sql.read, [['notes'], [100], 0, 1, 10]);
      },
    },
  ];

  it.each(seqless)(
    '$what takes no seq: held open, it holds nothing back, and a reader sees its write',
    async ({ run }) => {
      const {
        pool,
        schema,
        brokers: [a, b],
      } = await setup();
      const seenB = listen(b!);
      await publishPlain(a!, 'old');
      await waitFor(() => seenB.length === 1, 'the first event');
      const open = await begin(pool);
      await run(open, schema);
      const written = await publishPlain(a!, 'while it is open');
      const read = await a!.readAfter(['notes'], a!.head().epoch, 1);
      expect('events' in read && read.events.map((r) => r.seq)).toEqual([written.seq]);
      await waitFor(() => seenB.length === 2, 'the event, with that transaction still open');
      expect(datas(seenB)).toEqual(['old', 'while it is open']);
      await open.query('ROLLBACK');
    },
  );

  it('a node that starts while a transaction holds a seq waits for it, then misses nothing', async () => {
    const {
      pool,
      schema,
      brokers: [a],
    } = await setup(1);
    const open = await begin(pool);
    const held = await a!.publishIn(open, input('held'));
    let started = false;
    const starting = createPostgresBroker({ pool, schema, pollMs: 10 }).then((created) => {
      started = true;
      return db.track(created);
    });
    await sleep(150);
    expect(started).toBe(false);
    await open.query('COMMIT');
    const late = await starting;
    expect(late.head().seq).toBeGreaterThanOrEqual(held.seq);
    const replay = await late.readAfter(['notes'], late.head().epoch, 0);
    expect('events' in replay && replay.events.map((r) => r.seq)).toEqual([held.seq]);
  });

  it('many concurrent transactions committing in random order: every committed event once, in order', async () => {
    const {
      pool,
      brokers: [a, b],
    } = await setup();
    const seenB = listen(b!);
    const committed: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const tx = await begin(pool);
        const record = await a!.publishIn(tx, input(i));
        await sleep((i * 37) % 50);
        if (i % 4 === 3) await tx.query('ROLLBACK');
        else {
          await tx.query('COMMIT');
          committed.push(record.seq);
        }
      }),
    );
    committed.sort((x, y) => x - y);
    await waitFor(() => seenB.length >= committed.length, 'every committed event');
    await sleep(100);
    expect(seenB.map((s) => ('seq' in s ? s.seq : 'reset'))).toEqual(committed);
  });
});

function publishPlain(b: PostgresBroker, data: unknown): Promise<EventRecord> {
  return b.publish(input(data));
}
