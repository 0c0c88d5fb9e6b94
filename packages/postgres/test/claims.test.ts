import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresBroker, type PostgresBroker } from '../src/index.ts';
import { dropSchemas, uniqueSchema, useSharedPg } from './helpers/shared-pg.ts';

const db = useSharedPg();
const schema = uniqueSchema();
let a: PostgresBroker;
let b: PostgresBroker;

// Two nodes on one database: what one claims, the other cannot.
beforeAll(async () => {
  a = await createPostgresBroker({ connectionString: db.url(), schema });
  b = await createPostgresBroker({ connectionString: db.url(), schema });
}, 30_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await dropSchemas(db.url(), [schema]);
});

describe('claimOnce', () => {
  it('grants a key once across nodes until its claim lapses', async () => {
    expect(await a.claimOnce('ticket-1', 60_000)).toBe(true);
    expect(await b.claimOnce('ticket-1', 60_000)).toBe(false);
    expect(await a.claimOnce('ticket-1', 60_000)).toBe(false);
    expect(await b.claimOnce('ticket-2', 60_000)).toBe(true);
    // A lapsed claim can be taken again (a ticket's own expiry keeps it from being redeemed then).
    expect(await a.claimOnce('short', 1)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await b.claimOnce('short', 60_000)).toBe(true);
  });

  it('gives exactly one of many simultaneous claims', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).claimOnce('race', 60_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
