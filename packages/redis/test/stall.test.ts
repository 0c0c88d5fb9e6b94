import { createHub, TidingsError } from '@tidings/core';
import type { BrokerHead, EventRecord } from '@tidings/core/broker';
import { createTcpFaultProxy, type TcpFaultProxy } from '@tidings/testing';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisBroker, type RedisBroker } from '../src/index.ts';
import { type RedisServer, startRedisServer } from './helpers/redis-server.ts';
import { uniquePrefix } from './helpers/shared-redis.ts';
import { sleep, waitFor } from './helpers/wait-for.ts';

// Redis that stops answering without closing anything: frozen (SIGSTOP of a redis-server this file
// started) or partitioned by a proxy that goes silent. Every call must fail within
// commandTimeoutMs (asserted with a generous slack, never a tight time), and nothing may be lost
// without a reset once Redis answers again.
const COMMAND_TIMEOUT_MS = 1000;
const SLACK_MS = 5000;

let server: RedisServer | undefined;
const brokers: RedisBroker[] = [];
const proxies: TcpFaultProxy[] = [];
const clients: { isOpen: boolean; destroy(): void }[] = [];

afterEach(async () => {
  if (server?.pid) process.kill(server.pid, 'SIGCONT');
  for (const proxy of proxies.splice(0)) await proxy.close();
  for (const broker of brokers.splice(0)) await broker.close();
  for (const client of clients.splice(0)) if (client.isOpen) client.destroy();
  await server?.stop();
  server = undefined;
});

async function broker(url: string, prefix: string, healthCheckMs = 100): Promise<RedisBroker> {
  const client = createClient({ url, socket: { reconnectStrategy: () => 50 } });
  client.on('error', () => {});
  clients.push(client);
  const created = await createRedisBroker({
    client,
    prefix,
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    healthCheckMs,
    retryAfterMs: 1000,
  });
  brokers.push(created);
  return created;
}

type Seen = { seq: number } | { reset: BrokerHead };

function listen(target: RedisBroker): Seen[] {
  const seen: Seen[] = [];
  target.subscribe({
    event: (r: EventRecord) => seen.push({ seq: r.seq }),
    reset: (head) => seen.push({ reset: head }),
  });
  return seen;
}

const publish = (b: RedisBroker, data: unknown) =>
  b.publish({ topic: 't', event: 'message', data: JSON.stringify(data) });

/** Publishes until one is accepted (Redis answering again); returns its seq. */
async function publishWhenBack(b: RedisBroker): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const record = await publish(b, 'back').catch(() => undefined);
    if (record) return record.seq;
    await sleep(50);
  }
  throw new Error('Redis never took a publish again');
}

/** A refused publish: how long it took, and the error. */
async function refusedPublish(b: RedisBroker): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  const error = await publish(b, 'refused').then(
    () => undefined,
    (e: unknown) => e,
  );
  return { ms: performance.now() - started, error };
}

/** Every seq from 1 to `last`, each once, in order, and no reset. */
function expectEverything(seen: Seen[], last: number): void {
  expect(seen.filter((s) => 'reset' in s)).toEqual([]);
  expect(seen.map((s) => ('seq' in s ? s.seq : 0))).toEqual(Array.from({ length: last }, (_, i) => i + 1));
}

describe('a Redis that stops answering', () => {
  it('frozen with SIGSTOP: calls fail within commandTimeoutMs, then at once; all resumes after SIGCONT', async () => {
    server = await startRedisServer();
    const prefix = uniquePrefix();
    const a = await broker(server.url, prefix);
    const b = await broker(server.url, prefix);
    const seenB = listen(b);
    await publish(a, 'before');
    const hub = createHub({ anonymous: true, authorize: () => true, broker: a });
    process.kill(server.pid!, 'SIGSTOP');

    const first = await refusedPublish(a);
    expect(first.error).toBeInstanceOf(TidingsError);
    expect(first.error).toMatchObject({ code: 'unavailable', retryAfterMs: 1000 });
    expect(first.ms).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
    await expect(a.readAfter(['t'], a.head().epoch, 0)).rejects.toMatchObject({ code: 'unavailable' });
    // Once the health check has noticed, a publish is refused without waiting at all.
    await sleep(COMMAND_TIMEOUT_MS * 2);
    const later = await refusedPublish(b);
    expect(later.error).toMatchObject({ code: 'unavailable' });
    expect(later.ms).toBeLessThan(COMMAND_TIMEOUT_MS);
    const response = await hub.handle(
      new Request('http://x/publish', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic: 't', data: 'over http' }),
      }),
    );
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');

    process.kill(server.pid!, 'SIGCONT');
    const last = await publishWhenBack(a);
    await waitFor(() => seenB.length >= last, `node B to reach seq ${last}`);
    await sleep(100);
    // Publishes that timed out may still have been stored once Redis woke: then they were delivered.
    expectEverything(seenB, last);
    await hub.close();
  }, 20_000);

  it('frozen: the cluster calls (nodes, presence, revoke) fail within commandTimeoutMs too, health check or not', async () => {
    server = await startRedisServer();
    // A health check far slower than the test: only the calls' own bound can end them. (node-redis
    // stops its own timeout once a command is written, so without that bound these hang for good.)
    const a = await broker(server.url, uniquePrefix(), 600_000);
    const hub = createHub({ anonymous: true, authorize: () => true, broker: a, presence: () => true });
    expect((await hub.nodes()).length).toBe(1);
    process.kill(server.pid!, 'SIGSTOP');
    const calls = [() => hub.nodes(), () => hub.presence('t'), () => hub.revoke('u', Date.now() + 60_000)];
    for (const call of calls) {
      const started = performance.now();
      await expect(call()).rejects.toMatchObject({ code: 'unavailable' });
      expect(performance.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
    }
    process.kill(server.pid!, 'SIGCONT');
    let back = false;
    for (let i = 0; i < 100 && !back; i++) back = (await hub.nodes().catch(() => [])).length === 1;
    expect(back).toBe(true);
    await hub.close();
  }, 20_000);

  it('partitioned by a silent proxy: refused within commandTimeoutMs; caught up after it heals', async () => {
    server = await startRedisServer();
    const prefix = uniquePrefix();
    const proxy = await createTcpFaultProxy({ port: server.port, scheme: 'redis' });
    proxies.push(proxy);
    const direct = await broker(server.url, prefix);
    const cutOff = await broker(proxy.url, prefix);
    const seen = listen(cutOff);
    await publish(direct, 1);
    await waitFor(() => seen.length === 1, 'the first event');
    proxy.stall();
    const refused = await refusedPublish(cutOff);
    expect(refused.error).toMatchObject({ code: 'unavailable' });
    expect(refused.ms).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
    // The other node keeps publishing; the partitioned one hears nothing.
    for (let i = 2; i <= 6; i++) await publish(direct, i);
    expect(seen.length).toBe(1);
    proxy.heal();
    const last = await publishWhenBack(cutOff);
    await waitFor(() => seen.length >= last, `the partitioned node to reach seq ${last}`);
    await sleep(100);
    expectEverything(seen, last);
  }, 20_000);

  it('black-holed connections are closed and opened again, and the node catches up', async () => {
    server = await startRedisServer();
    const prefix = uniquePrefix();
    const proxy = await createTcpFaultProxy({ port: server.port, scheme: 'redis' });
    proxies.push(proxy);
    const direct = await broker(server.url, prefix);
    const cutOff = await broker(proxy.url, prefix);
    const seen = listen(cutOff);
    await publish(direct, 1);
    await waitFor(() => seen.length === 1, 'the first event');
    proxy.blackhole();
    const refused = await refusedPublish(cutOff);
    expect(refused.error).toMatchObject({ code: 'unavailable' });
    expect(refused.ms).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
    for (let i = 2; i <= 6; i++) await publish(direct, i);
    // Nothing heals the old connections: the broker must replace them by itself.
    const last = await publishWhenBack(cutOff);
    await waitFor(() => seen.length >= last, `the node to reach seq ${last}`);
    await sleep(100);
    expectEverything(seen, last);
  }, 20_000);
});
