import { type EventRecord, isDuplicatePublish, type PublishInput } from '@tidings/core/broker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBroker, type RedisBroker } from '../src/index.ts';
import { poll } from './helpers/clients.ts';
import { type HubProcess, startHubProcess } from './helpers/hub-process.ts';
import { deleteKeys, uniquePrefix, useSharedRedis } from './helpers/shared-redis.ts';
import { sleep } from './helpers/wait-for.ts';

// Idempotency keys across nodes: two tidings nodes, each its own Node process with its own Redis
// connections, sharing one prefix. The same key sent to both at once must publish exactly once.
const redis = useSharedRedis();
const prefix = uniquePrefix();
let a: HubProcess;
let b: HubProcess;
const brokers: RedisBroker[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([startHubProcess(redis.url(), prefix), startHubProcess(redis.url(), prefix)]);
}, 20_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  for (const broker of brokers) await broker.close();
  await deleteKeys(redis.url(), [prefix]);
});

interface PublishAnswer {
  status: number;
  id: string;
  duplicate?: true;
}

async function postWithKey(base: string, topic: string, data: unknown, key: string): Promise<PublishAnswer> {
  const response = await fetch(`${base}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ topic, data }),
  });
  return { status: response.status, ...((await response.json()) as { id: string; duplicate?: true }) };
}

/** Publishes over a WebSocket with a key and a ref; resolves to the ack (`id`, `duplicate`). */
function wsPublishWithKey(base: string, topic: string, data: unknown, key: string): Promise<PublishAnswer> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`);
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no ack within 8 s'));
    }, 8000);
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { type: string; id: string; duplicate?: true };
      if (message.type === 'welcome')
        socket.send(JSON.stringify({ type: 'publish', topic, data, key, ref: 'r' }));
      if (message.type !== 'ack' && message.type !== 'error') return;
      clearTimeout(timer);
      socket.close();
      if (message.type === 'error') reject(new Error(String(event.data)));
      else resolve({ status: 202, id: message.id, ...(message.duplicate ? { duplicate: true } : {}) });
    });
    socket.addEventListener('error', () => reject(new Error('socket error')));
  });
}

/** Every event the log holds on `topic`, read through `node`. */
async function eventsOn(node: HubProcess, topic: string): Promise<{ id: string; data: unknown }[]> {
  const { cursor } = await poll(node.url, 'poll', topic);
  return (await poll(node.url, 'poll', topic, `${cursor.slice(0, cursor.lastIndexOf('-'))}-0`)).events;
}

describe('idempotent publishing on two nodes sharing Redis', () => {
  it('the same Idempotency-Key sent to both nodes at once publishes once; every answer has its id', async () => {
    const topic = `idem-http-${Date.now()}`;
    const keys = Array.from({ length: 10 }, (_, i) => `order-${i}-${Math.random().toString(36).slice(2)}`);
    for (const key of keys) {
      const answers = await Promise.all([
        postWithKey(a.url, topic, { key, from: 'a' }, key),
        postWithKey(b.url, topic, { key, from: 'b' }, key),
        postWithKey(a.url, topic, { key, from: 'a2' }, key),
        postWithKey(b.url, topic, { key, from: 'b2' }, key),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202]);
      expect(new Set(answers.map((answer) => answer.id)).size).toBe(1);
      expect(answers.filter((answer) => !answer.duplicate)).toHaveLength(1);
    }
    const events = await eventsOn(b, topic);
    expect(events.map((event) => (event.data as { key: string }).key)).toEqual(keys);
  });

  it('the same WebSocket publish key on both nodes at once: one event, both acks carry its id', async () => {
    const topic = `idem-ws-${Date.now()}`;
    for (let round = 0; round < 5; round++) {
      const key = `ws-${round}-${Math.random().toString(36).slice(2)}`;
      const acks = await Promise.all([
        wsPublishWithKey(a.url, topic, round, key),
        wsPublishWithKey(b.url, topic, round, key),
      ]);
      expect(acks[0]!.id).toBe(acks[1]!.id);
      expect(acks.filter((ack) => ack.duplicate)).toHaveLength(1);
    }
    expect((await eventsOn(a, topic)).map((event) => event.data)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('RedisBroker idempotency keys', () => {
  const input = (key: string, windowMs = 60_000): PublishInput => ({
    topic: 'idem-broker',
    event: 'message',
    data: JSON.stringify(key),
    idempotency: { key, windowMs },
  });

  beforeAll(async () => {
    brokers.push(
      await createRedisBroker({ url: redis.url(), prefix }),
      await createRedisBroker({ url: redis.url(), prefix }),
    );
  });

  it('of many racing publishes with one key on two brokers, exactly one stores an event', async () => {
    const [one, two] = brokers;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? one! : two!).publish(input('race'))),
    );
    const stored = results.filter((result): result is EventRecord => !isDuplicatePublish(result));
    expect(stored).toHaveLength(1);
    for (const result of results) expect(result.id).toBe(stored[0]!.id);
    expect(one!.idempotent).toBe(true);
  });

  it('a key lapses after its window (Redis expires it), and publishes without a key are untouched', async () => {
    const [one, two] = brokers;
    const first = await one!.publish(input('short', 100));
    expect(isDuplicatePublish(first)).toBe(false);
    expect(await two!.publish(input('short', 100))).toEqual({ duplicate: true, id: first.id });
    // Redis expires the key by itself; a bounded wait, no timing asserted.
    let again = await two!.publish(input('short', 100));
    for (let i = 0; i < 100 && isDuplicatePublish(again); i++) {
      await sleep(50);
      again = await two!.publish(input('short', 100));
    }
    expect(isDuplicatePublish(again)).toBe(false);
    expect(again.id).not.toBe(first.id);
    const plain = { topic: 'idem-broker', event: 'message', data: '1' };
    const [p1, p2] = [await one!.publish(plain), await one!.publish(plain)];
    expect(isDuplicatePublish(p1) || isDuplicatePublish(p2)).toBe(false);
    expect(p1.id).not.toBe(p2.id);
  });
});
