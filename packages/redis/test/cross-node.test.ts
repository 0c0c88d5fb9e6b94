import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventIds,
  isEvent,
  openSse,
  openWs,
  poll,
  publishHttp,
  type Seen,
  type Subscriber,
} from './helpers/clients.ts';
import { type HubProcess, startHubProcess } from './helpers/hub-process.ts';
import { deleteKeys, uniquePrefix, useSharedRedis } from './helpers/shared-redis.ts';
import { sleep, waitFor } from './helpers/wait-for.ts';

// Two tidings nodes, each its own Node process, sharing events through one Redis.
const redis = useSharedRedis();
const prefix = uniquePrefix();
let a: HubProcess;
let b: HubProcess;
const extra: HubProcess[] = [];
const subscribers: Subscriber[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([startHubProcess(redis.url(), prefix), startHubProcess(redis.url(), prefix)]);
}, 20_000);

afterAll(async () => {
  for (const s of subscribers) s.close();
  await Promise.all([a?.stop(), b?.stop(), ...extra.map((p) => p.stop())]);
  await deleteKeys(redis.url(), [prefix]);
});

function track(subscriber: Subscriber): Subscriber {
  subscribers.push(subscriber);
  return subscriber;
}

/** Publishes `count` events one after another, round-robin over `nodes`; resolves to their ids. */
async function publishMany(nodes: HubProcess[], topic: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { status, body } = await publishHttp(nodes[i % nodes.length]!.url, topic, { i });
    expect(status).toBe(202);
    ids.push(body.id!);
    await sleep(5);
  }
  return ids;
}

/** Long-polls until `count` events arrived, sending each request to the next node in turn. */
async function longPollAcross(
  nodes: HubProcess[],
  topic: string,
  start: string,
  count: number,
): Promise<Seen[]> {
  const seen: Seen[] = [];
  let cursor = start;
  for (let i = 0; seen.length < count && i < count * 4; i++) {
    const answer = await poll(nodes[i % nodes.length]!.url, 'long-poll', topic, cursor);
    if (answer.reset) seen.push({ reset: answer.cursor });
    for (const event of answer.events) seen.push({ id: event.id, data: event.data });
    cursor = answer.cursor;
  }
  return seen;
}

/** Moves a subscriber from one node to another once it has `after` events, resuming from its cursor. */
async function moveAfter(
  after: number,
  from: Subscriber,
  open: (cursor: string, into: Seen[]) => Subscriber,
): Promise<Subscriber> {
  await waitFor(() => from.seen.filter(isEvent).length >= after, `${after} events before the move`, 8000);
  from.close();
  return track(open(from.cursor()!, from.seen));
}

describe('two nodes on one Redis', () => {
  it('delivers an event published on A to subscribers of B on every transport', async () => {
    const topic = 'every-transport';
    const start = await poll(b.url, 'poll', topic);
    const sse = track(openSse(b.url, topic));
    const ws = track(openWs(b.url, topic));
    await Promise.all([sse.opened, ws.opened]);
    const longPoll = poll(b.url, 'long-poll', topic, start.cursor);
    const { status, body } = await publishHttp(a.url, topic, { hello: 'from A' });
    expect(status).toBe(202);
    expect(await eventIds(sse, 1, 'SSE on B')).toEqual([body.id]);
    expect(await eventIds(ws, 1, 'WebSocket on B')).toEqual([body.id]);
    expect((await longPoll).events).toEqual([
      { id: body.id, topic, event: 'message', data: { hello: 'from A' } },
    ]);
    const polled = await poll(b.url, 'poll', topic, start.cursor);
    expect(polled).toEqual({
      events: [{ id: body.id, topic, event: 'message', data: { hello: 'from A' } }],
      cursor: body.id,
    });
  }, 15_000);

  it('resumes a client that leaves A on B with every event exactly once', async () => {
    const topic = 'resume';
    const start = (await poll(a.url, 'poll', topic)).cursor;
    const sse = track(openSse(a.url, topic));
    const ws = track(openWs(a.url, topic));
    await Promise.all([sse.opened, ws.opened]);
    const publishing = publishMany([a, b], topic, 60);
    const longPolled = longPollAcross([a, b], topic, start, 60);
    const [sseOnB, wsOnB] = await Promise.all([
      moveAfter(20, sse, (cursor, into) => openSse(b.url, topic, cursor, into)),
      moveAfter(20, ws, (cursor, into) => openWs(b.url, topic, cursor, into)),
    ]);
    const published = await publishing;
    expect(await eventIds(sseOnB, 60, 'SSE')).toEqual(published);
    expect(await eventIds(wsOnB, 60, 'WebSocket')).toEqual(published);
    expect((await longPolled).map((s) => ('id' in s ? s.id : s))).toEqual(published);
    await sleep(100);
    expect(sseOnB.seen).toHaveLength(60);
    expect(wsOnB.seen).toHaveLength(60);
  }, 20_000);

  it('resumes the clients of a node that dies on another node, losing nothing', async () => {
    const topic = 'node-dies';
    const c = await startHubProcess(redis.url(), prefix);
    extra.push(c);
    const sse = track(openSse(c.url, topic));
    const ws = track(openWs(c.url, topic));
    await Promise.all([sse.opened, ws.opened]);
    const publishing = publishMany([a, b], topic, 40);
    await waitFor(() => sse.seen.length >= 10 && ws.seen.length >= 10, 'ten events on node C', 8000);
    await c.kill();
    const sseOnB = track(openSse(b.url, topic, sse.cursor(), sse.seen));
    const wsOnA = track(openWs(a.url, topic, ws.cursor(), ws.seen));
    const published = await publishing;
    expect(await eventIds(sseOnB, 40, 'SSE')).toEqual(published);
    expect(await eventIds(wsOnA, 40, 'WebSocket')).toEqual(published);
    expect(sseOnB.seen.every(isEvent) && wsOnA.seen.every(isEvent)).toBe(true);
  }, 20_000);
});
