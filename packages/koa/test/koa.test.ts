import { connect } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { createHub, type Hub } from '@tidings/core';
import { createSseParser, type SseMessage } from '@tidings/core/protocol';
import Koa from 'koa';
import mount from 'koa-mount';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type TidingsKoaMiddleware, tidings } from '../src/index.ts';
import { type ListeningKoa, listenKoa } from './listen-koa.ts';

let hub: Hub | undefined;
let running: ListeningKoa | undefined;
const sockets: WebSocket[] = [];
const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) {
    socket.on('error', () => {});
    socket.terminate();
  }
  for (const reader of readers.splice(0)) await reader.cancel().catch(() => {});
  await hub?.close();
  await running?.close();
  hub = undefined;
  running = undefined;
});

interface Built {
  app: Koa;
  realtime: TidingsKoaMiddleware;
  /** `ctx.status` as the outermost middleware saw it once the rest of the stack finished. */
  statuses: number[];
  /** How often middleware mounted after tidings ran. */
  downstreamCalls: { count: number };
}

/** A typical app: an outer middleware, a global body parser, tidings, then @koa/router routes. */
function buildApp(parser: Koa.Middleware = bodyParser()): Built {
  hub = createHub({ anonymous: true, authorize: () => true });
  const realtime = tidings(hub);
  const statuses: number[] = [];
  const downstreamCalls = { count: 0 };
  const app = new Koa();
  app.use(async (ctx, next) => {
    ctx.set('x-app', 'outer');
    await next();
    statuses.push(ctx.status);
  });
  app.use(parser);
  app.use(realtime);
  app.use(async (_ctx, next) => {
    downstreamCalls.count++;
    await next();
  });
  const router = new Router();
  router.get('/api/hello', (ctx) => {
    ctx.body = { hello: 'koa' };
  });
  router.post('/api/echo', (ctx) => {
    ctx.body = { received: ctx.request.body };
  });
  // Named like a tidings route, but outside the base path: the app's own.
  router.get('/api/poll', (ctx) => {
    ctx.body = { mine: true };
  });
  app.use(router.routes()).use(router.allowedMethods());
  return { app, realtime, statuses, downstreamCalls };
}

async function start(built: Built): Promise<string> {
  running = await listenKoa(built.app, built.realtime);
  return running.origin;
}

async function headCursor(origin: string, topics: string): Promise<string> {
  const response = await fetch(`${origin}/realtime/poll?topics=${topics}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { cursor: string }).cursor;
}

/** Reads SSE events from a fetch answer until `count` have arrived (bounded by `timeoutMs`). */
async function readEvents(response: Response, count: number, timeoutMs = 3000): Promise<SseMessage[]> {
  const events: SseMessage[] = [];
  const parser = createSseParser({ onEvent: (message) => events.push(message) });
  const reader = response.body!.getReader();
  readers.push(reader);
  const decoder = new TextDecoder();
  const deadline = Date.now() + timeoutMs;
  while (events.length < count) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out waiting for SSE events')), deadline - Date.now());
    });
    const { done, value } = await Promise.race([reader.read(), timeout]).finally(() => clearTimeout(timer));
    if (done) break;
    parser.push(decoder.decode(value, { stream: true }));
  }
  return events;
}

function openSocket(url: string): Promise<{ socket: WebSocket; messages: Record<string, unknown>[] }> {
  const socket = new WebSocket(url);
  sockets.push(socket);
  const messages: Record<string, unknown>[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('error', reject);
  });
}

async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('tidings() in a Koa app', () => {
  it('leaves every other path to the rest of the app', async () => {
    const built = buildApp();
    const origin = await start(built);

    const hello = await fetch(`${origin}/api/hello`);
    expect(await hello.json()).toEqual({ hello: 'koa' });

    const echo = await fetch(`${origin}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    expect(await echo.json()).toEqual({ received: { a: 1 } });

    const own = await fetch(`${origin}/api/poll?topics=t`);
    expect(await own.json()).toEqual({ mine: true });

    // Under the base path but not a route: Koa's own 404, not a tidings error body.
    const unknown = await fetch(`${origin}/realtime/elsewhere`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('Not Found');
    expect(built.downstreamCalls.count).toBe(4);
  });

  it('answers its routes itself, keeping headers set upstream', async () => {
    const built = buildApp();
    const origin = await start(built);
    const response = await fetch(`${origin}/realtime/poll?topics=t`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-app')).toBe('outer');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ events: [] });

    const refused = await fetch(`${origin}/realtime/poll`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('bad_request');

    expect(built.downstreamCalls.count).toBe(0);
    expect(built.statuses).toEqual([200, 400]);
  });

  it('publishes over HTTP behind @koa/bodyparser', async () => {
    const built = buildApp();
    const origin = await start(built);
    const cursor = await headCursor(origin, 'notes');
    const published = await fetch(`${origin}/realtime/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'notes', event: 'created', data: { text: 'hi' } }),
    });
    expect(published.status).toBe(202);
    const { id } = (await published.json()) as { id: string };

    const poll = await fetch(`${origin}/realtime/poll?topics=notes&cursor=${cursor}`);
    expect(await poll.json()).toEqual({
      events: [{ id, topic: 'notes', event: 'created', data: { text: 'hi' } }],
      cursor: id,
    });
  });

  it('uses the parsed body when a parser keeps no raw text', async () => {
    // Like parsers that only set ctx.request.body: the stream is consumed, the text is gone.
    const parsedOnly: Koa.Middleware = async (ctx, next) => {
      if (ctx.method === 'POST') {
        const chunks: Buffer[] = [];
        for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
        (ctx.request as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      }
      await next();
    };
    const built = buildApp(parsedOnly);
    const origin = await start(built);
    const response = await fetch(`${origin}/realtime/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'notes', data: [1, 2] }),
    });
    expect(response.status).toBe(202);
    expect(hub!.stats().published).toBe(1);
  });

  it('refuses an unparseable publish body with the protocol error', async () => {
    const built = buildApp();
    const origin = await start(built);
    // text/plain passes @koa/bodyparser untouched, so the hub reads the stream itself.
    const response = await fetch(`${origin}/realtime/publish`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{not json',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'bad_request' } });
  });

  it('streams SSE straight to the response and delivers a server publish', async () => {
    const built = buildApp();
    const origin = await start(built);
    const cursor = await headCursor(origin, 'notes');
    const response = await fetch(`${origin}/realtime/sse?topics=notes&cursor=${cursor}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('content-length')).toBeNull();
    expect(response.headers.get('x-app')).toBe('outer');
    const id = await hub!.publish('notes', { text: 'over sse' }, { event: 'created' });
    const [event] = await readEvents(response, 1);
    expect(event).toMatchObject({ id, event: 'created' });
    expect(JSON.parse(event!.data)).toEqual({
      id,
      topic: 'notes',
      event: 'created',
      data: { text: 'over sse' },
    });
    // The stack finished once the stream was open; the stream itself lives on in the bridge.
    expect(built.statuses).toEqual([200, 200]);
  });

  it('holds a long poll until an event arrives', async () => {
    const built = buildApp();
    const origin = await start(built);
    const cursor = await headCursor(origin, 'notes');
    const waiting = fetch(`${origin}/realtime/long-poll?topics=notes&cursor=${cursor}&timeout=5`);
    await waitFor(() => hub!.stats().connections.longPoll === 1);
    const id = await hub!.publish('notes', { text: 'late' });
    const body = (await (await waiting).json()) as { events: { id: string }[] };
    expect(body.events.map((event) => event.id)).toEqual([id]);
  });

  it('delivers over WebSocket on the attached server and refuses other upgrade paths', async () => {
    const built = buildApp();
    const origin = await start(built);
    const { messages } = await openSocket(`${origin.replace('http', 'ws')}/realtime/ws?topics=notes`);
    await waitFor(() => messages.length >= 1);
    expect(messages[0]).toMatchObject({ type: 'welcome' });
    const id = await hub!.publish('notes', { text: 'over ws' });
    await waitFor(() => messages.length >= 2);
    expect(messages[1]).toEqual({
      type: 'event',
      id,
      topic: 'notes',
      event: 'message',
      data: { text: 'over ws' },
    });

    const stray = new WebSocket(`${origin.replace('http', 'ws')}/api/ws`);
    sockets.push(stray);
    const status = await new Promise<number>((resolve) => {
      stray.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      stray.once('open', () => resolve(101));
    });
    expect(status).toBe(404);
  });

  it('serves a custom base path, trailing slash or not', async () => {
    hub = createHub({ anonymous: true });
    const realtime = tidings(hub, { path: '/live/' });
    expect(realtime.path).toBe('/live');
    const app = new Koa();
    app.use(realtime);
    const origin = await start({ app, realtime, statuses: [], downstreamCalls: { count: 0 } });
    expect((await fetch(`${origin}/live/poll?topics=t`)).status).toBe(200);
    expect((await fetch(`${origin}/realtime/poll?topics=t`)).status).toBe(404);
    const { messages } = await openSocket(`${origin.replace('http', 'ws')}/live/ws?topics=t`);
    await waitFor(() => messages.length >= 1);
    expect(messages[0]).toMatchObject({ type: 'welcome' });
  });

  it('works inside a sub-app under koa-mount, given the full public path', async () => {
    hub = createHub({ anonymous: true });
    const realtime = tidings(hub, { path: '/v1/realtime' });
    const inner = new Koa();
    inner.use(realtime);
    inner.use((ctx) => {
      ctx.body = { innerPath: ctx.path };
    });
    const app = new Koa();
    app.use(mount('/v1', inner));
    const origin = await start({ app, realtime, statuses: [], downstreamCalls: { count: 0 } });
    const poll = await fetch(`${origin}/v1/realtime/poll?topics=t`);
    expect(poll.status).toBe(200);
    expect(await poll.json()).toMatchObject({ events: [] });
    expect(await (await fetch(`${origin}/v1/other`)).json()).toEqual({ innerPath: '/other' });
    const { messages } = await openSocket(`${origin.replace('http', 'ws')}/v1/realtime/ws?topics=t`);
    await waitFor(() => messages.length >= 1);
    expect(messages[0]).toMatchObject({ type: 'welcome' });
  });

  it('leaves a stream whose client resets to the hub, reporting it as the README says', async () => {
    const built = buildApp();
    const errors: { code?: string; headerSent?: boolean }[] = [];
    built.app.on('error', (error) => errors.push(error));
    const origin = await start(built);
    const socket = connect(Number(new URL(origin).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /realtime/sse?topics=t HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    await waitFor(() => hub!.stats().connections.sse === 1);
    socket.resetAndDestroy();
    await waitFor(() => hub!.stats().connections.sse === 0 && errors.length > 0);
    expect(errors).toMatchObject([{ code: 'ECONNRESET', headerSent: true }]);
  });
});
