import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
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
