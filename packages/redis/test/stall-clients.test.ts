import { createHub, type Hub } from '@tidings/core';
import { createSseParser } from '@tidings/core/protocol';
import { serve } from '@tidings/node';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisBroker, type RedisBroker } from '../src/index.ts';
import { type RedisServer, startRedisServer } from './helpers/redis-server.ts';
import { uniquePrefix } from './helpers/shared-redis.ts';
import { sleep, waitFor } from './helpers/wait-for.ts';

// The symptom of issue 17 seen from real clients: with Redis frozen (SIGSTOP), a poll, an SSE
// stream and a WebSocket that open with a cursor (so they need the history) used to hang until Redis
// woke. Each must be told `unavailable` within commandTimeoutMs (asserted with a slack for a busy
// machine, never a tight time), a stream already open must stay open, and once Redis answers, every
// event must reach both without a reset.
const COMMAND_TIMEOUT_MS = 1000;
const SLACK_MS = 4000;

let server: RedisServer | undefined;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  if (server?.pid) process.kill(server.pid, 'SIGCONT');
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.stop();
  server = undefined;
});

async function node(url: string): Promise<{ hub: Hub; broker: RedisBroker; base: string }> {
  const client = createClient({ url, socket: { reconnectStrategy: () => 50 } });
  client.on('error', () => {});
  const broker = await createRedisBroker({
    client,
    prefix: uniquePrefix(),
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    healthCheckMs: 200,
    retryAfterMs: 1000,
  });
  const hub = createHub({ anonymous: true, authorize: () => true, broker, onError: () => {} });
  const served = await serve(hub, { port: 0 });
  cleanups.push(async () => {
    await served.close();
    await broker.close();
    if (client.isOpen) client.destroy();
  });
  return { hub, broker, base: served.url };
}

interface Stream {
  ids: string[];
  resets: string[];
  closes: { code: string; retryMs?: number }[];
  opened: Promise<void>;
  ended: Promise<void>;
}

function sse(base: string, cursor?: string): Stream {
  const abort = new AbortController();
  cleanups.push(() => abort.abort());
  const stream: Partial<Stream> = { ids: [], resets: [], closes: [] };
  let markOpen!: () => void;
  stream.opened = new Promise((resolve) => {
    markOpen = resolve;
  });
  const parser = createSseParser({
    onComment: () => markOpen(),
    onEvent: ({ event, id, data }) => {
      if (event === 'close') stream.closes!.push(JSON.parse(data));
      else if (event === 'reset') stream.resets!.push(JSON.parse(data).cursor);
      else if (event === 'message') stream.ids!.push(id);
    },
  });
  const headers: Record<string, string> = cursor ? { 'last-event-id': cursor } : {};
  stream.ended = (async () => {
    const response = await fetch(`${base}/sse?topics=t`, { headers, signal: abort.signal });
    const decoder = new TextDecoder();
    for await (const chunk of response.body!)
      parser.push(decoder.decode(chunk as Uint8Array, { stream: true }));
  })().catch(() => {});
  return stream as Stream;
}

function ws(base: string, cursor: string): Promise<{ code: number; reason: string; ms: number }> {
  const started = performance.now();
  const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws?topics=t&cursor=${cursor}`);
  cleanups.push(() => socket.close());
  return new Promise((resolve) =>
    socket.addEventListener('close', (event) =>
      resolve({ code: event.code, reason: event.reason, ms: performance.now() - started }),
    ),
  );
}

async function publishWhenBack(base: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const response = await fetch(`${base}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 't', data: 'back' }),
    });
    if (response.status === 202) return ((await response.json()) as { id: string }).id;
    await sleep(50);
  }
  throw new Error('Redis never took a publish again');
}

describe('clients of a hub whose Redis is frozen', () => {
  it('are told unavailable within commandTimeoutMs when they need the history; open streams stay and lose nothing', async () => {
    server = await startRedisServer();
    const { hub, base } = await node(server.url);
    const first = await hub.publish('t', 1);
    await hub.publish('t', 2);
    const live = sse(base);
    await live.opened;
    await hub.publish('t', 3);
    await waitFor(() => live.ids.length === 1, 'the live stream to receive event 3');

    process.kill(server.pid!, 'SIGSTOP');
    const timings: Record<string, number> = {};

    // A poll that must read the history: 503 with Retry-After.
    let started = performance.now();
    const poll = await fetch(`${base}/poll?topics=t&cursor=${first}`);
    timings.poll = performance.now() - started;
    expect(poll.status).toBe(503);
    expect(poll.headers.get('retry-after')).toBe('1');
    expect(await poll.json()).toMatchObject({ error: { code: 'unavailable' } });

    // A publish: 503 with Retry-After (by now the health check has noticed: no wait at all).
    started = performance.now();
    const refused = await fetch(`${base}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 't', data: 'refused' }),
    });
    timings.publish = performance.now() - started;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');

    // An SSE stream resuming from a cursor: a `close` event naming unavailable, then the end.
    started = performance.now();
    const resumer = sse(base, first);
    await resumer.ended;
    timings.sse = performance.now() - started;
    expect(resumer.closes).toEqual([expect.objectContaining({ code: 'unavailable' })]);
    expect(resumer.ids).toEqual([]);

    // A WebSocket resuming from a cursor: closed 1001 unavailable.
    const socket = await ws(base, first);
    timings.ws = socket.ms;
    expect(socket).toMatchObject({ code: 1001, reason: 'unavailable' });

    for (const [route, ms] of Object.entries(timings)) {
      expect(ms, `${route} answered after ${Math.round(ms)} ms`).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
    }
    // The stream opened before the stall is still open: nothing was published, so nothing is missing.
    expect(live.closes).toEqual([]);
    console.log(
      `frozen Redis, commandTimeoutMs ${COMMAND_TIMEOUT_MS}: told after ${Object.entries(timings)
        .map(([route, ms]) => `${route} ${Math.round(ms)} ms`)
        .join(', ')}`,
    );

    process.kill(server.pid!, 'SIGCONT');
    const last = await publishWhenBack(base);
    // The live stream gets every event published since, once, in order, with no reset; a resume from
    // the first cursor now reads the history.
    await waitFor(() => live.ids.at(-1) === last, 'the live stream to reach the last event');
    expect(live.resets).toEqual([]);
    expect(new Set(live.ids).size).toBe(live.ids.length);
    const again = sse(base, first);
    await waitFor(() => again.ids.at(-1) === last, 'the resumed stream to reach the last event');
    expect(again.resets).toEqual([]);
    // From the first cursor: event 2, then exactly what the live stream got (from event 3 on).
    expect(again.ids.slice(1)).toEqual(live.ids);
    expect(new Set(again.ids).size).toBe(again.ids.length);
  }, 30_000);
});
