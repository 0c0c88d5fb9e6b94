// `pnpm --filter tidings-bench bench:tx`: what publishing inside the app's transaction costs with
// @tidings/postgres, beside the plain INSERT the app does anyway. One connection, one transaction
// after another (commit latency is the point, so fsync stays on), in interleaved rounds; prints the
// median time per transaction and the ratios as a markdown table.
import { createPostgresBroker } from '@tidings/postgres';
import pg from 'pg';
import { startPostgres } from './postgres-server.ts';

const ROUNDS = Number(process.env.BENCH_TX_ROUNDS ?? 3);
const PER_ROUND = Number(process.env.BENCH_TX_COUNT ?? 1000);

const db = await startPostgres();
const pool = new pg.Pool({ connectionString: db.url, max: 4 });
// Stopping the server at the end ends pooled connections: expected, not a crash.
pool.on('error', () => {});
const broker = await createPostgresBroker({ pool });
await pool.query('CREATE TABLE notes (id serial PRIMARY KEY, text text NOT NULL)');
const client = await pool.connect();
const note = JSON.stringify({ text: 'a note of ordinary length, about sixty bytes long' });

const cases: Record<string, () => Promise<unknown>> = {
  'INSERT in a transaction (BEGIN, INSERT, COMMIT)': async () => {
    await client.query('BEGIN');
    await client.query('INSERT INTO notes (text) VALUES ($1)', [note]);
    await client.query('COMMIT');
  },
  'INSERT + publishIn in the same transaction': async () => {
    await client.query('BEGIN');
    await client.query('INSERT INTO notes (text) VALUES ($1)', [note]);
    await broker.publishIn(client, { topic: 'notes', event: 'created', data: note });
    await client.query('COMMIT');
  },
  'INSERT alone (autocommit)': () => client.query('INSERT INTO notes (text) VALUES ($1)', [note]),
  'publish alone (autocommit, through the pool)': () =>
    broker.publish({ topic: 'notes', event: 'created', data: note }),
};

const samples = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  const names = Object.keys(cases);
  // Rotate the order each round so no case always runs first (or last).
  for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)]) {
    const run = cases[name]!;
    for (let i = 0; i < 100; i++) await run();
    const started = performance.now();
    for (let i = 0; i < PER_ROUND; i++) await run();
    samples.get(name)!.push(((performance.now() - started) * 1000) / PER_ROUND);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const us = Object.fromEntries([...samples].map(([name, values]) => [name, median(values)]));
const [txPlain, txPublish, plain, publish] = Object.values(us) as [number, number, number, number];
console.log(`${ROUNDS} rounds of ${PER_ROUND} sequential transactions on one connection; medians.\n`);
console.log('| case | µs per transaction | × |');
console.log('| --- | ---: | ---: |');
for (const [name, value] of Object.entries(us)) {
  const ratio = name.startsWith('INSERT +')
    ? value / txPlain
    : name.startsWith('publish')
      ? value / plain
      : 1;
  console.log(`| ${name} | ${value.toFixed(0)} | ${ratio.toFixed(2)}× |`);
}
console.log(
  `\npublishIn adds ${(txPublish - txPlain).toFixed(0)} µs to a transaction; a publish on its own costs ${(publish / plain).toFixed(2)}× a plain INSERT.`,
);
client.release();
await broker.close();
await pool.end();
await db.stop();
