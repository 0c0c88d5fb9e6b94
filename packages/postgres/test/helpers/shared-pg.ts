import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type PgServer, startPgServer } from './pg-server.ts';

/**
 * The PostgreSQL the tests of one file share: CI's (`PG_URL`), or else a server started for the
 * file and stopped after it. Tests on it use `uniqueSchema()` so parallel files never collide.
 */
export function useSharedPg(): { url(): string } {
  let server: PgServer | undefined;
  let url = process.env.PG_URL;
  beforeAll(async () => {
    if (url) return;
    server = await startPgServer();
    url = server.url;
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });
  return { url: () => url! };
}

/** A schema name no other test uses. */
export function uniqueSchema(): string {
  return `t_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
}

/** Drops `schemas` from the database at `url`, so tests leave a shared server as they found it. */
export async function dropSchemas(url: string, schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}

/** What a test file creates on the shared server, all of it closed or dropped after each test. */
export interface PgScratch {
  /** The shared server's connection string. */
  url(): string;
  /** A new pool of at most `max` connections, ended after the test. */
  pool(): pg.Pool;
  /** A new schema name, dropped after the test. */
  schema(): string;
  /** Closes `broker` after the test, before its pool ends and its schema is dropped. */
  track<T extends { close(): Promise<void> }>(broker: T): T;
}

/**
 * The shared server plus per-test cleanup: brokers close first (they hold pool clients), then
 * pools end, then schemas drop, so a test leaves the server as it found it.
 */
export function usePgScratch(options: { poolMax: number }): PgScratch {
  const db = useSharedPg();
  const brokers: { close(): Promise<void> }[] = [];
  const pools: pg.Pool[] = [];
  const schemas: string[] = [];
  afterEach(async () => {
    for (const broker of brokers.splice(0)) await broker.close();
    for (const pool of pools.splice(0)) await pool.end();
    await dropSchemas(db.url(), schemas.splice(0));
  });
  return {
    url: db.url,
    pool() {
      const pool = new pg.Pool({ connectionString: db.url(), max: options.poolMax });
      pools.push(pool);
      return pool;
    },
    schema() {
      const schema = uniqueSchema();
      schemas.push(schema);
      return schema;
    },
    track(broker) {
      brokers.push(broker);
      return broker;
    },
  };
}
