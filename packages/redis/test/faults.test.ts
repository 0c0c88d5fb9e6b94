import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
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
import { type RedisServer, startRedisServer } from './helpers/redis-server.ts';
import { uniquePrefix } from './helpers/shared-redis.ts';
import { sleep, waitFor } from './helpers/wait-for.ts';

// Each test kills, restarts or flushes Redis, so each gets a redis-server of its own.
let server: RedisServer | undefined;
const nodes: HubProcess[] = [];
const subscribers: Subscriber[] = [];

afterEach(async () => {
  for (const s of subscribers.splice(0)) s.close();
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
  await server?.stop();
  server = undefined;
});

async function cluster(options: { appendOnly?: boolean } = {}): Promise<[HubProcess, HubProcess]> {
  server = await startRedisServer(options);
  const prefix = uniquePrefix();
  const pair = await Promise.all([startHubProcess(server.url, prefix), startHubProcess(server.url, prefix)]);
  nodes.push(...pair);
  return pair;
}

async function subscribe(subscriber: Subscriber): Promise<Subscriber> {
  subscribers.push(subscriber);
  await subscriber.opened;
  return subscriber;
}

const seqOf = (id: string) => Number(id.split('-')[1]);

/** A WebSocket used to publish: sends `publish` frames and collects the answers by ref. */
async function wsPublisher(base: string) {
  const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`);
  const answers = new Map<string, { type: string; code?: string; id?: string }>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data));
    if (message.ref) answers.set(message.ref, message);
  });
  await new Promise((resolve) => socket.addEventListener('open', resolve));
  return {
    async publish(topic: string, data: unknown, ref: string) {
      socket.send(JSON.stringify({ type: 'publish', topic, data, ref }));
      return waitFor(() => answers.get(ref), `the answer to ${ref}`);
    },
    close: () => socket.close(),
  };
}

/** Long-polls across both nodes until `done(seen)`, retrying after a refusal (503 while Redis is away). */
async function longPollThrough(
  nodes: HubProcess[],
  topic: string,
  start: string,
  done: (seen: Seen[]) => boolean,
): Promise<Seen[]> {
  const seen: Seen[] = [];
  let cursor = start;
  for (let i = 0; !done(seen) && i < 2000; i++) {
    try {
      const answer = await poll(nodes[i % nodes.length]!.url, 'long-poll', topic, cursor, 1);
      if (answer.reset) seen.push({ reset: answer.cursor });
      for (const event of answer.events) seen.push({ id: event.id, data: event.data });
      cursor = answer.cursor;
    } catch {
      await sleep(100);
    }
  }
  return seen;
}

describe('Redis faults', () => {
  it('recovers from a Redis crash and restart: no accepted event is missed, refused publishes get 503', async () => {
    const [a, b] = await cluster({ appendOnly: true });
    const topic = 'outage';
    const start = (await poll(a.url, 'poll', topic)).cursor;
    const sse = await subscribe(openSse(b.url, topic));
    const ws = await subscribe(openWs(a.url, topic));
    const wsPublish = await wsPublisher(a.url);
    const accepted: string[] = [];
    const refused: { status: number; code?: string; retryAfter: string | null }[] = [];
    let stop = false;
    let lastId: string | undefined;
    const publishing = (async () => {
      for (let i = 0; !stop && i < 2000; i++) {
        const { status, body, retryAfter } = await publishHttp((i % 2 ? a : b).url, topic, { i });
        if (status === 202) accepted.push(body.id!);
        else refused.push({ status, code: body.error?.code, retryAfter });
        await sleep(10);
      }
    })();
    const longPolled = longPollThrough([a, b], topic, start, (seen) =>
      seen.some((s) => isEvent(s) && s.id === lastId),
    );

    await waitFor(() => accepted.length >= 10, 'ten accepted events');
    await server!.kill();
    await waitFor(() => refused.length >= 4, 'publishes refused while Redis is down');
    const wsRefused = await wsPublish.publish(topic, 'during the outage', 'r1');
    await server!.restart();
    const acceptedBefore = accepted.length;
    await waitFor(
      () => accepted.length >= acceptedBefore + 10,
      'ten events accepted after the restart',
      8000,
    );
    stop = true;
    await publishing;
    // HTTP publishes to both nodes were accepted again, but node A may still be finishing its own
    // recovery (its subscriber reconnecting, a health check in flight on a loaded machine): until
    // then it refuses with `unavailable`, which is the contract, so the WebSocket publish is sent
    // again (bounded) until acknowledged, and every refusal on the way must be that one.
    let wsAccepted = await wsPublish.publish(topic, 'after the restart', 'r2');
    for (let attempt = 3; wsAccepted.type !== 'ack' && attempt < 50; attempt++) {
      expect(wsAccepted).toMatchObject({ type: 'error', code: 'unavailable' });
      await sleep(100);
      wsAccepted = await wsPublish.publish(topic, 'after the restart', `r${attempt}`);
    }
    wsPublish.close();
    accepted.push(wsAccepted.id!);
    lastId = wsAccepted.id;

    expect(refused.every((r) => r.status === 503 && r.code === 'unavailable' && r.retryAfter === '2')).toBe(
      true,
    );
    expect(wsRefused).toMatchObject({ type: 'error', code: 'unavailable', ref: 'r1' });
    expect(wsAccepted).toMatchObject({ type: 'ack' });
    for (const [name, subscriber] of [
      ['SSE on B', sse],
      ['WebSocket on A', ws],
    ] as const) {
      await eventIds(subscriber, accepted.length, name);
      await waitFor(() => subscriber.cursor() === lastId, `${name} to reach the last event`);
      // A publish cut off mid-flight may have been stored although its publisher saw an error, so
      // a subscriber may see more than was accepted, but never less, never twice, never out of order.
      const ids = subscriber.seen.map((s) => (isEvent(s) ? s.id : `reset ${s.reset}`));
      expect(ids.filter((id) => accepted.includes(id))).toEqual(accepted);
      expect(ids.map(seqOf)).toEqual([...new Set(ids.map(seqOf))].sort((x, y) => x - y));
    }
    const polled = (await longPolled).map((s) => (isEvent(s) ? s.id : `reset ${s.reset}`));
    expect(polled.filter((id) => accepted.includes(id))).toEqual(accepted);
    expect(polled.map(seqOf)).toEqual([...new Set(polled.map(seqOf))].sort((x, y) => x - y));
  }, 30_000);

  it('tells every client to reset after FLUSHALL', async () => {
    const [a, b] = await cluster();
    const topic = 'flush';
    const sse = await subscribe(openSse(b.url, topic));
    const ws = await subscribe(openWs(a.url, topic));
    for (let i = 0; i < 3; i++) await publishHttp(a.url, topic, i);
    await Promise.all([eventIds(sse, 3, 'SSE on B'), eventIds(ws, 3, 'WebSocket on A')]);
    const oldCursor = sse.cursor()!;
    const admin = createClient({ url: server!.url });
    await admin.connect();
    await admin.flushAll();
    admin.destroy();
    const after = await publishHttp(a.url, topic, 'after the flush');
    const epoch = after.body.id!.split('-')[0];
    expect(oldCursor.startsWith(`${epoch}-`)).toBe(false);
    for (const subscriber of [sse, ws]) {
      await waitFor(() => subscriber.seen.length >= 5, 'a reset and the next event');
      expect(subscriber.seen.slice(3)).toEqual([
        { reset: `${epoch}-0` },
        { id: after.body.id, data: 'after the flush' },
      ]);
    }
    // A client that comes back later with a cursor of the lost log is reset to the start of the new
    // one, and its next poll gets what the new log holds: nothing is skipped.
    const late = await poll(b.url, 'poll', topic, oldCursor);
    expect(late).toEqual({ events: [], cursor: `${epoch}-0`, reset: true });
    const next = await poll(b.url, 'poll', topic, late.cursor);
    expect(next.events.map((e) => e.id)).toEqual([after.body.id]);
  }, 20_000);

  it('tells every client to reset when Redis restarts without its data', async () => {
    const [a, b] = await cluster();
    const topic = 'amnesia';
    const sse = await subscribe(openSse(b.url, topic));
    const ws = await subscribe(openWs(a.url, topic));
    const before = await publishHttp(a.url, topic, 'before');
    await Promise.all([eventIds(sse, 1, 'SSE on B'), eventIds(ws, 1, 'WebSocket on A')]);
    await server!.restart();
    for (const subscriber of [sse, ws]) await waitFor(() => subscriber.seen.length >= 2, 'a reset');
    const reset = (sse.seen[1] as { reset: string }).reset;
    expect(reset).toMatch(/^[a-z0-9]+-0$/);
    expect(reset.split('-')[0]).not.toBe(before.body.id!.split('-')[0]);
    expect(ws.seen[1]).toEqual({ reset });
    const after = await publishHttp(b.url, topic, 'after');
    expect(after.body.id).toBe(`${reset.split('-')[0]}-1`);
    for (const subscriber of [sse, ws]) {
      await waitFor(() => subscriber.seen.length >= 3, 'the next event');
      expect(subscriber.seen.slice(2)).toEqual([{ id: after.body.id, data: 'after' }]);
    }
  }, 20_000);
});
