import { createHub, type Hub } from '@tidings/core';
import { type EventRecord, isDuplicatePublish, type PublishInput } from '@tidings/core/broker';
import { type Served, serve } from '@tidings/node';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresBroker, type PostgresBroker } from '../src/index.ts';
import { usePgScratch } from './helpers/shared-pg.ts';
import { sleep, waitFor } from './helpers/wait-for.ts';

// Idempotency keys on Postgres: two nodes (each its own pool) on one schema, a key checked and
// stored in the publish statement, and inside the app's transaction when there is one.
const db = usePgScratch({ poolMax: 4 });
const clients: pg.PoolClient[] = [];
const served: Served[] = [];

// Runs before the scratch's own cleanup (after hooks run in reverse order of registration), so
// servers close and app clients return before brokers close and pools end.
afterEach(async () => {
  for (const server of served.splice(0)) await server.close();
  for (const client of clients.splice(0)) client.release(true);
});

/** The schema the last `nodes()` call put its brokers on. */
let nodesSchema = '';

async function nodes(count = 2, trimIntervalMs?: number): Promise<PostgresBroker[]> {
  const schema = db.schema();
  nodesSchema = schema;
  const created: PostgresBroker[] = [];
  for (let i = 0; i < count; i++) {
    const options = trimIntervalMs === undefined ? {} : { trimIntervalMs };
    created.push(
      db.track(await createPostgresBroker({ connectionString: db.url(), schema, pollMs: 10, ...options })),
    );
  }
  return created;
}

const appPool = () => db.pool();

async function begin(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  clients.push(client);
  await client.query('BEGIN');
  return client;
}

const keyed = (key: string, data: unknown = key, windowMs = 60_000): PublishInput => ({
  topic: 'orders',
  event: 'placed',
  data: JSON.stringify(data),
  idempotency: { key, windowMs },
});

function listen(target: PostgresBroker): EventRecord[] {
  const seen: EventRecord[] = [];
  target.subscribe({ event: (record) => seen.push(record), reset: () => {} });
  return seen;
}

async function storedOn(target: PostgresBroker): Promise<unknown[]> {
  const history = await target.readAfter(['orders'], target.head().epoch, 0);
  return 'events' in history ? history.events.map((record) => JSON.parse(record.data)) : ['reset'];
}

describe('idempotency keys on two nodes sharing Postgres', () => {
  it('of many racing publishes with one key on both nodes, exactly one stores an event', async () => {
    const [a, b] = await nodes();
    const seen = listen(b!);
    for (let round = 0; round < 4; round++) {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? a! : b!).publish(keyed(`race-${round}`, round))),
      );
      const stored = results.filter((result) => !isDuplicatePublish(result));
      expect(stored).toHaveLength(1);
      for (const result of results) expect(result.id).toBe(stored[0]!.id);
    }
    await waitFor(() => seen.length >= 4, 'four events delivered');
    await sleep(50);
    expect(seen.map((record) => JSON.parse(record.data))).toEqual([0, 1, 2, 3]);
    expect(await storedOn(a!)).toEqual([0, 1, 2, 3]);
  });

  it('the same Idempotency-Key sent to two hubs at once: one event, every answer its id', async () => {
    const [a, b] = await nodes();
    const authorize = () => true;
    const hubs: Hub[] = [
      createHub({ anonymous: true, authorize, broker: a! }),
      createHub({ anonymous: true, authorize, broker: b! }),
    ];
    for (const hub of hubs) served.push(await serve(hub, { port: 0 }));
    const post = (url: string, key: string) =>
      fetch(`${url}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ topic: 'orders', event: 'placed', data: key }),
      }).then(async (response) => ({ status: response.status, ...((await response.json()) as object) }));
    for (const key of ['k1', 'k2', 'k3']) {
      const answers = (await Promise.all([
        post(served[0]!.url, key),
        post(served[1]!.url, key),
        post(served[0]!.url, key),
      ])) as { status: number; id: string; duplicate?: true }[];
      expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202]);
      expect(new Set(answers.map((answer) => answer.id)).size).toBe(1);
      expect(answers.filter((answer) => answer.duplicate)).toHaveLength(2);
    }
    expect(await storedOn(b!)).toEqual(['k1', 'k2', 'k3']);
    for (const hub of hubs) await hub.close();
  });

  it('a lapsed key publishes again, and the trim drops lapsed keys only', async () => {
    const [a] = await nodes(1, 50);
    const pool = appPool();
    const keys = async () =>
      (await pool.query(`SELECT key FROM ${nodesSchema}.idempotency_keys ORDER BY key`)).rows.map(
        (r) => r.key,
      );
    const kept = await a!.publish(keyed('kept', 0));
    const first = await a!.publish(keyed('brief', 1, 1));
    await sleep(5);
    const second = await a!.publish(keyed('brief', 2, 1));
    expect(isDuplicatePublish(second)).toBe(false);
    expect(second.id).not.toBe(first.id);
    await waitFor(async () => (await keys()).length === 1, 'the trim to drop the lapsed key');
    expect(await keys()).toEqual(['kept']);
    expect(await a!.publish(keyed('kept', 'again'))).toEqual({ duplicate: true, id: kept.id });
  });
});

describe('idempotency keys inside the app transaction', () => {
  it('a key published in a transaction that rolls back does not block its retry', async () => {
    const [a] = await nodes(1);
    const pool = appPool();
    const tx = await begin(pool);
    const ghost = await a!.publishIn(tx, keyed('pay-1', 'ghost'));
    expect(isDuplicatePublish(ghost)).toBe(false);
    await tx.query('ROLLBACK');
    const retry = await a!.publish(keyed('pay-1', 'retry'));
    expect(isDuplicatePublish(retry)).toBe(false);
    expect(await a!.publish(keyed('pay-1', 'again'))).toEqual({ duplicate: true, id: retry.id });
    expect(await storedOn(a!)).toEqual(['retry']);
  });

  it('a retry racing an open transaction waits for it: after COMMIT it is a duplicate of it', async () => {
    const [a, b] = await nodes();
    const pool = appPool();
    const tx = await begin(pool);
    const first = (await a!.publishIn(tx, keyed('pay-2', 'first'))) as EventRecord;
    let settled = false;
    const retry = b!.publish(keyed('pay-2', 'retry')).finally(() => {
      settled = true;
    });
    await sleep(100);
    expect(settled).toBe(false);
    await tx.query('COMMIT');
    expect(await retry).toEqual({ duplicate: true, id: first.id });
    expect(await storedOn(b!)).toEqual(['first']);
  });

  it('… and after ROLLBACK the retry is the first', async () => {
    const [a, b] = await nodes();
    const pool = appPool();
    const tx = await begin(pool);
    await a!.publishIn(tx, keyed('pay-3', 'rolled back'));
    const retry = b!.publish(keyed('pay-3', 'retry'));
    await sleep(100);
    await tx.query('ROLLBACK');
    const won = await retry;
    expect(isDuplicatePublish(won)).toBe(false);
    expect(await a!.publish(keyed('pay-3', 'again'))).toEqual({ duplicate: true, id: won.id });
    expect(await storedOn(b!)).toEqual(['retry']);
  });

  it('a duplicate inside a transaction that rolls back holds nothing: the stored key stands', async () => {
    const [a] = await nodes(1);
    const pool = appPool();
    const stored = (await a!.publish(keyed('pay-4', 'stored'))) as EventRecord;
    const tx = await begin(pool);
    expect(await a!.publishIn(tx, keyed('pay-4', 'again'))).toEqual({ duplicate: true, id: stored.id });
    // Answered while that transaction is still open: a repeat takes no lock on the key.
    expect(await a!.publish(keyed('pay-4', 'meanwhile'))).toEqual({ duplicate: true, id: stored.id });
    await tx.query('ROLLBACK');
    expect(await a!.publish(keyed('pay-4', 'later'))).toEqual({ duplicate: true, id: stored.id });
    expect(await storedOn(a!)).toEqual(['stored']);
  });

  it('hub.publish with { tx, idempotencyKey }: the id of the committed first publish', async () => {
    const [a] = await nodes(1);
    const pool = appPool();
    const hub = createHub({ anonymous: true, broker: a! });
    const tx = await begin(pool);
    const id = await hub.publish('orders', 'in tx', { tx, idempotencyKey: 'hub-1' });
    expect(await hub.publish('orders', 'same tx', { tx, idempotencyKey: 'hub-1' })).toBe(id);
    await tx.query('COMMIT');
    expect(await hub.publish('orders', 'after', { idempotencyKey: 'hub-1' })).toBe(id);
    expect(await storedOn(a!)).toEqual(['in tx']);
    await hub.close();
  });
});
