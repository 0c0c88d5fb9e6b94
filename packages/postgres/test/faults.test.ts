import type { EventRecord } from '@tidings/core/broker';
import { createTcpFaultProxy, type TcpFaultProxy } from '@tidings/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresBroker, type PostgresBroker } from '../src/index.ts';
import { type PgServer, startPgServer } from './helpers/pg-server.ts';
import { sleep, waitFor } from './helpers/wait-for.ts';

// Postgres restarted, frozen (SIGSTOP of the server this file started) and partitioned (a proxy that
// goes silent or forgets its connections). Calls fail within commandTimeoutMs (asserted with a
// generous slack, never a tight time), and once Postgres answers again every node catches up from
// the table: no accepted event is missed, and no reset is sent since none was lost.
const COMMAND_TIMEOUT_MS = 2000;
const SLACK_MS = 6000;

let server: PgServer | undefined;
const brokers: PostgresBroker[] = [];
const proxies: TcpFaultProxy[] = [];

afterEach(async () => {
  server?.thaw();
  for (const proxy of proxies.splice(0)) proxy.heal();
  for (const broker of brokers.splice(0)) await broker.close();
  for (const proxy of proxies.splice(0)) await proxy.close();
  await server?.stop();
  server = undefined;
});

async function broker(url: string): Promise<PostgresBroker> {
  const created = await createPostgresBroker({
    connectionString: url,
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    healthCheckMs: 100,
    catchUpRetryMs: 100,
    retryAfterMs: 1000,
    onError: () => {},
  });
  brokers.push(created);
  return created;
}

function listen(target: PostgresBroker): (number | 'reset')[] {
  const seen: (number | 'reset')[] = [];
  target.subscribe({ event: (r: EventRecord) => seen.push(r.seq), reset: () => seen.push('reset') });
  return seen;
}

const publish = (b: PostgresBroker, data: unknown) =>
  b.publish({ topic: 't', event: 'message', data: JSON.stringify(data) });

async function publishWhenBack(b: PostgresBroker): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const record = await publish(b, 'back').catch(() => undefined);
    if (record) return record.seq;
    await sleep(50);
  }
  throw new Error('Postgres never took a publish again');
}

async function refusedPublish(b: PostgresBroker): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  const error = await publish(b, 'refused').then(
    () => undefined,
    (e: unknown) => e,
  );
  return { ms: performance.now() - started, error };
}

/** Strictly increasing seqs (a crash or a rollback may leave gaps in the sequence), containing `accepted`, no reset. */
function expectNoLoss(seen: (number | 'reset')[], accepted: number[]): void {
  expect(seen).not.toContain('reset');
  const seqs = seen as number[];
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
  for (const seq of accepted) expect(seqs).toContain(seq);
}

describe('Postgres faults', () => {
  it('survives a restart: refused while down, then every accepted event on every node', async () => {
    server = await startPgServer();
    const a = await broker(server.url);
    const b = await broker(server.url);
    const seenB = listen(b);
    const accepted: number[] = [];
    let refused = 0;
    let stop = false;
    const publishing = (async () => {
      for (let i = 0; !stop && i < 3000; i++) {
        const record = await publish(a, i).catch(() => undefined);
        if (record) accepted.push(record.seq);
        else refused++;
        await sleep(10);
      }
    })();
    await waitFor(() => accepted.length >= 10, 'ten accepted events');
    await server.restart();
    const before = accepted.length;
    await waitFor(() => accepted.length >= before + 10, 'ten events accepted after the restart', 15_000);
    stop = true;
    await publishing;
    expect(refused).toBeGreaterThan(0);
    const last = accepted.at(-1)!;
    await waitFor(() => seenB.at(-1) === last, `node B to reach seq ${last}`, 8000);
    expectNoLoss(seenB, accepted);
    const replay = await b.readAfter(['t'], b.head().epoch, 0);
    expect('events' in replay && replay.events.map((r) => r.seq)).toEqual(seenB);
  }, 40_000);

  it('frozen with SIGSTOP: calls fail within commandTimeoutMs, then at once; all resumes after SIGCONT', async () => {
    server = await startPgServer();
    const a = await broker(server.url);
    const b = await broker(server.url);
    const seenB = listen(b);
    const first = await publish(a, 'before');
    server.freeze();
    const refused = await refusedPublish(a);
    expect(refused.error).toMatchObject({ code: 'unavailable', retryAfterMs: 1000 });
    expect(refused.ms).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
    await expect(b.readAfter(['t'], b.head().epoch, 0)).rejects.toMatchObject({ code: 'unavailable' });
    await sleep(COMMAND_TIMEOUT_MS * 2);
    const later = await refusedPublish(b);
    expect(later.error).toMatchObject({ code: 'unavailable' });
    expect(later.ms).toBeLessThan(COMMAND_TIMEOUT_MS);
    server.thaw();
    const last = await publishWhenBack(a);
    await waitFor(() => seenB.at(-1) === last, `node B to reach seq ${last}`, 8000);
    expectNoLoss(seenB, [first.seq, last]);
  }, 40_000);

  for (const mode of ['stall', 'blackhole'] as const) {
    it(`partitioned by a proxy (${mode}): refused within commandTimeoutMs; caught up after`, async () => {
      server = await startPgServer();
      const proxy = await createTcpFaultProxy({ port: server.port, scheme: 'postgres' });
      proxies.push(proxy);
      const direct = await broker(server.url);
      const cutOff = await broker(`${proxy.url}/postgres?user=postgres`);
      const seen = listen(cutOff);
      const accepted = [(await publish(direct, 1)).seq];
      await waitFor(() => seen.length === 1, 'the first event');
      if (mode === 'stall') proxy.stall();
      else proxy.blackhole();
      const refused = await refusedPublish(cutOff);
      expect(refused.error).toMatchObject({ code: 'unavailable' });
      expect(refused.ms).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
      for (let i = 2; i <= 6; i++) accepted.push((await publish(direct, i)).seq);
      await sleep(200);
      expect(seen).toEqual([accepted[0]]);
      // A stall heals; black-holed connections never do, and the broker must replace them itself.
      if (mode === 'stall') proxy.heal();
      const last = await publishWhenBack(cutOff);
      await waitFor(() => seen.at(-1) === last, `the partitioned node to reach seq ${last}`, 8000);
      expectNoLoss(seen, [...accepted, last]);
    }, 40_000);
  }
});
