import { TidingsError } from '@tidings/core';
import type { BrokerHead, EventRecord } from '@tidings/core/broker';
import { createTcpFaultProxy, type TcpFaultProxy } from '@tidings/testing';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisBroker, type RedisBroker, type RedisBrokerOptions } from '../src/index.ts';
import { deleteKeys, uniquePrefix, useSharedRedis } from './helpers/shared-redis.ts';
import { sleep, waitFor } from './helpers/wait-for.ts';

const redis = useSharedRedis();
// Fast reconnects keep the partition tests short.
const newClient = (url: string) => createClient({ url, socket: { reconnectStrategy: () => 50 } });
type Client = ReturnType<typeof newClient>;
type Seen = { seq: number; id: string; topic: string; data: string } | { reset: BrokerHead };

const brokers: RedisBroker[] = [];
const clients: Client[] = [];
const proxies: TcpFaultProxy[] = [];
const prefixes: string[] = [];

afterEach(async () => {
  for (const broker of brokers.splice(0)) await broker.close();
  await deleteKeys(redis.url(), prefixes.splice(0));
  for (const client of clients.splice(0)) if (client.isOpen) client.destroy();
  for (const proxy of proxies.splice(0)) await proxy.close();
});

async function connect(url = redis.url()): Promise<Client> {
  const client = newClient(url);
  client.on('error', () => {});
  clients.push(client);
  await client.connect();
  return client;
}

async function broker(prefix: string, options: Partial<RedisBrokerOptions> = {}): Promise<RedisBroker> {
  const client = options.client ?? (await connect());
  const created = await createRedisBroker({ client, prefix, ...options });
  brokers.push(created);
  return created;
}

function newPrefix(): string {
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  return prefix;
}

function listen(target: RedisBroker): Seen[] {
  const seen: Seen[] = [];
  target.subscribe({
    event: (r: EventRecord) => seen.push({ seq: r.seq, id: r.id, topic: r.topic, data: r.data }),
    reset: (head) => seen.push({ reset: head }),
  });
  return seen;
}

const publish = (b: RedisBroker, topic: string, data: unknown = null) =>
  b.publish({ topic, event: 'message', data: JSON.stringify(data) });

const seqs = (seen: Seen[]) => seen.map((s) => ('seq' in s ? s.seq : `reset@${s.reset.seq}`));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('createRedisBroker', () => {
  it('orders events from many nodes and delivers each once, in order, on every node', async () => {
    const prefix = newPrefix();
    const a = await broker(prefix);
    const b = await broker(prefix);
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
    const fifth = records.find((r) => r.seq === 5)!;
    expect(seenB[4]).toEqual({ seq: 5, id: `${epoch}-5`, topic: 't', data: fifth.data });
    expect(a.head()).toEqual({ epoch, seq: 40 });
    expect(b.head()).toEqual({ epoch, seq: 40 });
  });

  it('replays retained events on the asked topics, page by page', async () => {
    const prefix = newPrefix();
    const a = await broker(prefix, { readBatchSize: 3 });
    for (let i = 1; i <= 10; i++) await publish(a, i % 3 === 0 ? 'b' : 'a', { i });
    const epoch = a.head().epoch;
    const onlyB = await a.readAfter(['b'], epoch, 0);
    expect('events' in onlyB && onlyB.events.map((r) => r.seq)).toEqual([3, 6, 9]);
    const both = await a.readAfter(['a', 'b'], epoch, 4);
    expect('events' in both && both.events.map((r) => [r.seq, r.topic, r.data])).toEqual(
      range(5, 10).map((i) => [i, i % 3 === 0 ? 'b' : 'a', JSON.stringify({ i })]),
    );
    expect(await a.readAfter(['a'], epoch, 10)).toEqual({ events: [] });
  });

  it('answers reset for another epoch or a cursor beyond the head, and names a topic that lost events', async () => {
    const prefix = newPrefix();
    const a = await broker(prefix, { retentionCount: 10 });
    for (let i = 0; i < 25; i++) await publish(a, 't', i);
    await waitFor(() => a.head().seq === 25, 'the head to reach 25');
    const { epoch } = a.head();
    expect(await a.readAfter(['t'], 'otherepoch', 20)).toEqual({ reset: true });
    expect(await a.readAfter(['t'], epoch, 26)).toEqual({ reset: true });
    // The newest ten are kept: a cursor at 15 resumes, one at 14 has lost event 15 and gets the ten.
    const behind = await a.readAfter(['t'], epoch, 14);
    expect('events' in behind && behind.lost).toEqual(['t']);
    expect('events' in behind && behind.events.map((r) => r.seq)).toEqual(range(16, 25));
    const recent = await a.readAfter(['t'], epoch, 15);
    expect(recent).toEqual({ events: expect.any(Array) });
    expect('events' in recent && recent.events.map((r) => r.seq)).toEqual(range(16, 25));
  });

  it('keeps history per topic: a quiet topic resumes after a busy one wrote 100 times the retention', async () => {
    const prefix = newPrefix();
    const a = await broker(prefix, { retentionCount: 5, readBatchSize: 4 });
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
    // Every key of the epoch expires by itself: nothing outlives a quiet log.
    const admin = await connect();
    for (const key of ['t:quiet', 't:busy', 'topics', 'lost', 'recent']) {
      expect(await admin.pTTL(`${prefix}${epoch}:${key}`), key).toBeGreaterThan(0);
    }
  });

  it('applies retentionByTopic patterns, the longest match winning', async () => {
    const prefix = newPrefix();
    const a = await broker(prefix, {
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

  it('trims events older than their retentionMs, and forgets a topic whose stream expired', async () => {
    const prefix = newPrefix();
    const a = await broker(prefix, { retentionMs: 60_000, retentionByTopic: { short: { ms: 200 } } });
    await publish(a, 'short', 'old');
    await sleep(400);
    await publish(a, 'short', 'new');
    const { epoch } = a.head();
    const trimmed = await a.readAfter(['short'], epoch, 0);
    expect('events' in trimmed && [trimmed.lost, trimmed.events.map((r) => r.data)]).toEqual([
      ['short'],
      ['"new"'],
    ]);
    expect(await a.readAfter(['short'], epoch, 1)).toEqual({ events: [expect.objectContaining({ seq: 2 })] });
    // Its stream expires 200 ms after its last event; the next publishes sweep it out of the marks.
    await sleep(400);
    for (let i = 0; i < 3; i++) await publish(a, 'long', i);
    const admin = await connect();
    expect(await admin.zScore(`${prefix}${epoch}:topics`, 'short')).toBeNull();
    expect(await a.readAfter(['short'], epoch, 1)).toEqual({ events: [], lost: ['short'] });
    expect(await a.readAfter(['short'], epoch, 2)).toEqual({ events: [] });
    expect(await a.readAfter(['long'], epoch, 2)).toEqual({ events: expect.any(Array) });
  });

  it('answers a cursor of the previous single-stream layout with a reset', async () => {
    const prefix = newPrefix();
    const admin = await connect();
    await admin.hSet(`${prefix}meta`, { epoch: 'oldlayout', seq: '7' });
    await admin.xAdd(`${prefix}log`, '7-0', { time: '1', topic: 't', event: 'message', data: '1' });
    const a = await broker(prefix);
    await publish(a, 't', 'new');
    expect(a.head().epoch).not.toBe('oldlayout');
    expect(await a.readAfter(['t'], 'oldlayout', 5)).toEqual({ reset: true });
  });

  it('fills a gap from the stream after its subscription was cut', async () => {
    const prefix = newPrefix();
    const a = await broker(prefix);
    const proxy = await createTcpFaultProxy({ port: Number(new URL(redis.url()).port), scheme: 'redis' });
    proxies.push(proxy);
    const subscriber = await connect(proxy.url);
    const b = await broker(prefix, { subscriber });
    const seenB = listen(b);
    await publish(a, 't', 1);
    await waitFor(() => seenB.length === 1, 'the first event on b');
    proxy.cut();
    await waitFor(() => !subscriber.isReady, 'the subscriber to notice the cut');
    for (let i = 2; i <= 6; i++) await publish(a, 't', i);
    await sleep(100);
    expect(seqs(seenB)).toEqual([1]);
    proxy.heal();
    await waitFor(() => seenB.length >= 6, 'b to catch up');
    await publish(a, 't', 7);
    await waitFor(() => seenB.length >= 7, 'the next live event on b');
    expect(seqs(seenB)).toEqual(range(1, 7));
    expect(b.head().seq).toBe(7);
  });

  it('resets every listener when the gap is no longer in the stream', async () => {
    const prefix = newPrefix();
    const a = await broker(prefix, { retentionCount: 10 });
    const proxy = await createTcpFaultProxy({ port: Number(new URL(redis.url()).port), scheme: 'redis' });
    proxies.push(proxy);
    const subscriber = await connect(proxy.url);
    const b = await broker(prefix, { subscriber, retentionCount: 10 });
    const seenB = listen(b);
    await publish(a, 't', 1);
    await waitFor(() => seenB.length === 1, 'the first event on b');
    proxy.cut();
    await waitFor(() => !subscriber.isReady, 'the subscriber to notice the cut');
    for (let i = 2; i <= 25; i++) await publish(a, 't', i);
    proxy.heal();
    await waitFor(() => seenB.length >= 2, 'b to catch up');
    await publish(a, 't', 26);
    await waitFor(() => seenB.length >= 3, 'the next live event on b');
    expect(seenB).toEqual([
      expect.objectContaining({ seq: 1 }),
      { reset: { epoch: a.head().epoch, seq: 25 } },
      expect.objectContaining({ seq: 26 }),
    ]);
  });

  it('refuses a publish with unavailable while Redis is unreachable, and stores nothing', async () => {
    const prefix = newPrefix();
    const proxy = await createTcpFaultProxy({ port: Number(new URL(redis.url()).port), scheme: 'redis' });
    proxies.push(proxy);
    const client = await connect(proxy.url);
    const a = await broker(prefix, { client, retryAfterMs: 3000 });
    await publish(a, 't', 1);
    proxy.cut();
    await waitFor(() => !client.isReady, 'the client to notice the cut');
    const refused = await publish(a, 't', 2).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TidingsError);
    expect(refused).toMatchObject({ code: 'unavailable', status: 503, retryAfterMs: 3000 });
    await expect(a.readAfter(['t'], a.head().epoch, 0)).rejects.toMatchObject({ code: 'unavailable' });
    proxy.heal();
    await waitFor(() => client.isReady, 'the client to reconnect');
    const next = await publish(a, 't', 3);
    expect(next.seq).toBe(2);
  });

  it('starts a new epoch when the log is lost, and resets every node', async () => {
    const prefix = newPrefix();
    const a = await broker(prefix);
    const b = await broker(prefix);
    const seenA = listen(a);
    const seenB = listen(b);
    await publish(a, 't', 1);
    await publish(b, 't', 2);
    const old = a.head().epoch;
    await waitFor(() => seenA.length === 2 && seenB.length === 2, 'both events on both nodes');
    const admin = await connect();
    await admin.del(`${prefix}head`);
    const fresh = await publish(b, 't', 3);
    expect(fresh.id).not.toContain(old);
    expect(fresh.seq).toBe(1);
    for (const seen of [seenA, seenB]) {
      await waitFor(() => seen.length === 4, 'the reset and the new event');
      expect(seen.slice(2)).toEqual([
        { reset: { epoch: fresh.id.split('-')[0], seq: 0 } },
        expect.objectContaining({ id: fresh.id }),
      ]);
    }
    expect(await a.readAfter(['t'], old, 2)).toEqual({ reset: true });
  });

  it('starts a new epoch when Redis forgets events it acknowledged', async () => {
    const prefix = newPrefix();
    const a = await broker(prefix);
    const seenA = listen(a);
    for (let i = 1; i <= 5; i++) await publish(a, 't', i);
    await waitFor(() => seenA.length === 5, 'five events');
    const old = a.head().epoch;
    // What a failover to a replica that lagged two writes behind leaves: the head and stream at 3.
    const admin = await connect();
    await admin.hSet(`${prefix}head`, 'seq', '3');
    await admin.xDel(`${prefix}${old}:t:t`, ['4-0', '5-0']);
    expect(await a.readAfter(['t'], old, 3)).toEqual({ reset: true });
    await waitFor(() => seenA.length === 6, 'a reset');
    const fresh = a.head();
    expect(fresh.epoch).not.toBe(old);
    expect(seenA[5]).toEqual({ reset: fresh });
    const next = await publish(a, 't', 6);
    expect(next.id).toBe(`${fresh.epoch}-${fresh.seq + 1}`);
  });

  it('closes only the connections it opened', async () => {
    const prefix = newPrefix();
    const client = await connect();
    const a = await createRedisBroker({ client, prefix });
    await a.close();
    expect(client.isReady).toBe(true);
    await expect(publish(a, 't')).rejects.toMatchObject({ code: 'unavailable' });
    const own = await createRedisBroker({ url: redis.url(), prefix });
    const record = await publish(own, 't', 'x');
    expect(record.seq).toBe(1);
    await own.close();
  });

  it('gives up on an unreachable Redis after connectTimeoutMs, naming it without its credentials', async () => {
    // A port nothing listens on: node-redis would retry it forever.
    const closed = await createTcpFaultProxy({ port: 1, scheme: 'redis' });
    const port = Number(new URL(closed.url).port);
    await closed.close();
    const failure = await createRedisBroker({
      url: `redis://user:s3cret@127.0.0.1:${port}`,
      connectTimeoutMs: 300,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain(`127.0.0.1:${port}`);
    expect((failure as Error).message).toContain('300 ms');
    expect((failure as Error).message).not.toContain('s3cret');
  });

  it('rejects impossible options', async () => {
    const client = await connect();
    await expect(createRedisBroker({ prefix: 'x' })).rejects.toThrow(TypeError);
    await expect(createRedisBroker({ client, url: redis.url() })).rejects.toThrow(TypeError);
    await expect(createRedisBroker({ client, retentionCount: 0 })).rejects.toThrow(TypeError);
    await expect(createRedisBroker({ client, prefix: '' })).rejects.toThrow(TypeError);
    // An option passed as undefined keeps its default.
    const prefix = newPrefix();
    brokers.push(
      await createRedisBroker({ client, prefix, retentionCount: undefined, retentionMs: undefined }),
    );
  });
});
