import { readFileSync } from 'node:fs';
import type { EventRecord } from '@tidings/core/broker';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPostgresBroker, SCHEMA_VERSION, schemaSql } from '../src/index.ts';
import { usePgScratch } from './helpers/shared-pg.ts';
import { sleep, waitFor } from './helpers/wait-for.ts';

// `sql/schema.sql` ships for teams that run their own migrations and start the broker with
// `migrate: false`. It is written by hand, so nothing but these tests keeps it equal to what the
// broker creates itself (`schemaSql()`): the same statements, the same catalog once applied, and a
// broker that works on it.
const db = usePgScratch({ poolMax: 5 });
const SHIPPED = readFileSync(new URL('../sql/schema.sql', import.meta.url), 'utf8');

/** The SQL without its `--` comments. */
const withoutComments = (sql: string) => sql.replace(/--[^\n]*/g, '');

/** Each statement of `sql`, comments dropped and whitespace collapsed: what PostgreSQL runs. */
function statements(sql: string): string[] {
  return withoutComments(sql)
    .split(';')
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s !== '');
}

/** The shipped file for another schema name, edited as its header says. */
const shippedFor = (schema: string) => withoutComments(SHIPPED).replace(/\btidings\b/g, schema);

/**
 * What the catalog says about `schema`, with its name replaced by `<schema>` so two schemas can be
 * compared: tables, columns (type, nullability, default), constraints, indexes and sequences.
 */
async function catalog(pool: pg.Pool, schema: string): Promise<unknown> {
  const q = async (text: string) => (await pool.query(text, [schema])).rows;
  const found = {
    tables: await q(
      `SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
    ),
    columns: await q(
      `SELECT table_name, ordinal_position, column_name, data_type, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
    ),
    constraints: await q(
      `SELECT cl.relname AS table_name, c.conname, c.contype, pg_get_constraintdef(c.oid) AS definition
       FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_namespace n ON n.oid = c.connamespace
       WHERE n.nspname = $1 ORDER BY cl.relname, c.conname`,
    ),
    indexes: await q(
      `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY tablename, indexname`,
    ),
    sequences: await q(
      `SELECT sequence_name, data_type, start_value, minimum_value, maximum_value, increment, cycle_option
       FROM information_schema.sequences WHERE sequence_schema = $1 ORDER BY sequence_name`,
    ),
  };
  return JSON.parse(JSON.stringify(found).replaceAll(schema, '<schema>'));
}

describe('sql/schema.sql', () => {
  it('holds the same statements as schemaSql(), in the same order', () => {
    expect(statements(SHIPPED)).toEqual(statements(schemaSql()));
    expect(SHIPPED).toContain(`(version ${SCHEMA_VERSION})`);
  });

  it('applied by hand (twice), gives the catalog the broker migrates to, and a broker with migrate: false works on it', async () => {
    const pool = db.pool();
    const manual = db.schema();
    const migrated = db.schema();

    // Without its tables, a broker that does not migrate cannot start: what follows runs on the file.
    await expect(
      createPostgresBroker({ pool, schema: manual, migrate: false, connectTimeoutMs: 3000 }),
    ).rejects.toThrow();
    await pool.query(shippedFor(manual));
    await pool.query(shippedFor(manual)); // idempotent, as the header says
    db.track(await createPostgresBroker({ pool, schema: migrated }));

    const want = (await catalog(pool, migrated)) as { tables: { table_name: string }[] };
    expect(want.tables.map((t) => t.table_name)).toEqual([
      'claims',
      'events',
      'idempotency_keys',
      'meta',
      'topics',
    ]);
    expect(await catalog(pool, manual)).toEqual(want);
    const meta = `SELECT count(*)::int AS rows, min(version) AS version FROM`;
    expect((await pool.query(`${meta} ${manual}.meta`)).rows).toEqual([{ rows: 1, version: SCHEMA_VERSION }]);

    // End to end on the hand-made schema: two nodes, publish (plain, in a transaction, keyed), live
    // delivery, replay, a claim, and trims that run over every table without an error.
    const errors: unknown[] = [];
    const options = {
      pool,
      schema: manual,
      migrate: false,
      trimIntervalMs: 50,
      onError: (e: unknown) => errors.push(e),
    } as const;
    const a = db.track(await createPostgresBroker(options));
    const b = db.track(await createPostgresBroker(options));
    const seen: string[] = [];
    b.subscribe({ event: (r: EventRecord) => seen.push(r.data), reset: () => seen.push('reset') });

    const first = await a.publish({ topic: 't', event: 'message', data: '"plain"' });
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      await a.publishIn(tx, { topic: 't', event: 'message', data: '"in a transaction"' });
      await tx.query('COMMIT');
    } finally {
      tx.release();
    }
    const idempotency = { key: 'k1', windowMs: 60_000 };
    const keyed = await a.publish({ topic: 'u', event: 'message', data: '"keyed"', idempotency });
    const again = await a.publish({ topic: 'u', event: 'message', data: '"keyed"', idempotency });
    expect(again).toEqual({ duplicate: true, id: 'id' in keyed ? keyed.id : undefined });
    expect(await b.claimOnce('ticket', 60_000)).toBe(true);
    expect(await a.claimOnce('ticket', 60_000)).toBe(false);

    await waitFor(() => seen.length >= 3, 'node B to deliver three events');
    expect(seen).toEqual(['"plain"', '"in a transaction"', '"keyed"']);
    expect(first.id).toBe(`${b.head().epoch}-1`);
    const replay = await b.readAfter(['t', 'u'], b.head().epoch, 0);
    expect('events' in replay && replay.events.map((r) => [r.seq, r.topic, r.data])).toEqual([
      [1, 't', '"plain"'],
      [2, 't', '"in a transaction"'],
      [3, 'u', '"keyed"'],
    ]);
    await sleep(200); // a few trim rounds
    expect(errors).toEqual([]);
  });
});
