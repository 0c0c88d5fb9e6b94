import { gzipSync } from 'node:zlib';
import { EventSource } from 'eventsource';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type ErrorBody, jsonErrors } from '../src/json-errors.ts';
import { listen, type Running } from '../src/listen.ts';

const SECRET = 'example-koa-test-secret-0123456789abcdef';

let running: Running | undefined;
const closers: (() => void)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await running?.close();
  running = undefined;
});

async function start(): Promise<Running> {
  running = await listen({ secret: SECRET, port: 0 });
  return running;
}

async function demoToken(url: string): Promise<string> {
  const response = await fetch(`${url}/api/token`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

function postNote(url: string, text: string): Promise<Response> {
  return fetch(`${url}/api/notes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
}

/** Resolves with the first value `register` hands to its callback, or rejects after `timeoutMs`. */
function first<T>(
  register: (done: (value: T) => void, fail: (error: Error) => void) => void,
  timeoutMs = 3000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
    register(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

describe('example-koa', () => {
  it('delivers a note added through the REST route to SSE and WebSocket clients', async () => {
    const { url } = await start();
    const token = await demoToken(url);

    // The eventsource client takes a fetch: the token goes in a header, never in the URL.
    const source = new EventSource(`${url}/realtime/sse?topics=notes`, {
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${token}` } }),
    });
    closers.push(() => source.close());
    await first<void>((done, fail) => {
      source.onopen = () => done();
      source.onerror = () => fail(new Error('SSE refused'));
    });
    const socket = new WebSocket(`${url.replace('http', 'ws')}/realtime/ws?topics=notes`);
    closers.push(() => socket.terminate());
    socket.on('open', () => socket.send(JSON.stringify({ type: 'auth', token })));
    const wsMessages: { type: string; id?: string; data?: unknown }[] = [];
    socket.on('message', (data) => wsMessages.push(JSON.parse(String(data))));
    await first<void>((done) => socket.on('message', () => wsMessages.length === 1 && done()));
    expect(wsMessages[0]!.type).toBe('welcome');

    const sseEvent = first<MessageEvent>((done) => source.addEventListener('created', done));
    const wsEvent = first<void>((done) => socket.on('message', () => wsMessages.length === 2 && done()));
    const response = await postNote(url, '  hello from koa  ');
    expect(response.status).toBe(201);
    const { note, eventId } = (await response.json()) as {
      note: { id: number; text: string };
      eventId: string;
    };
    expect(note.text).toBe('hello from koa');

    const message = await sseEvent;
    expect(message.lastEventId).toBe(eventId);
    expect(JSON.parse(message.data)).toEqual({ id: eventId, topic: 'notes', event: 'created', data: note });
    await wsEvent;
    expect(wsMessages[1]).toEqual({
      type: 'event',
      id: eventId,
      topic: 'notes',
      event: 'created',
      data: note,
    });
  });

  it('keeps the REST routes and the page working beside the realtime mount', async () => {
    const { url } = await start();
    expect((await postNote(url, '')).status).toBe(400);
    expect((await postNote(url, 'kept')).status).toBe(201);
    expect(await (await fetch(`${url}/api/notes`)).json()).toMatchObject({
      notes: [{ id: 1, text: 'kept' }],
    });

    const page = await fetch(`${url}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('/realtime/sse');
    expect((await fetch(`${url}/app.js`)).status).toBe(200);
    expect((await fetch(`${url}/../package.json`)).status).toBe(404);
  });

  it('GET /api/notes carries the cursor to subscribe from: a note added after it is not lost', async () => {
    const { url, hub } = await start();
    const token = await demoToken(url);
    const loaded = (await (await fetch(`${url}/api/notes`)).json()) as { cursor: string };
    expect(loaded.cursor).toBe(hub.head());
    const { eventId } = (await (await postNote(url, 'published while the page loads')).json()) as {
      eventId: string;
    };
    const answer = await fetch(`${url}/realtime/poll?topics=notes&cursor=${loaded.cursor}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await answer.json()) as { events: { id: string }[] };
    expect(body.events.map((e) => e.id)).toEqual([eventId]);
  });

  it('needs a token to subscribe and lets clients publish only on chat', async () => {
    const { url } = await start();
    const anonymous = await fetch(`${url}/realtime/poll?topics=notes`);
    expect(anonymous.status).toBe(401);

    const token = await demoToken(url);
    const publish = (topic: string) =>
      fetch(`${url}/realtime/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ topic, data: { from: 'test', text: 'hi' } }),
      });
    // Through the app's global @koa/bodyparser: the adapter hands the parsed body on.
    expect((await publish('chat')).status).toBe(202);
    expect((await publish('notes')).status).toBe(403);
  });

  it('trades a token in a header for a single-use ticket that opens a stream from its URL', async () => {
    const { url } = await start();
    expect((await fetch(`${url}/api/realtime-ticket`)).status).toBe(401);
    const token = await demoToken(url);
    const answer = await fetch(`${url}/api/realtime-ticket`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { ticket } = (await answer.json()) as { ticket: string };
    const poll = `${url}/realtime/poll?topics=notes&ticket=${encodeURIComponent(ticket)}`;
    expect((await fetch(poll)).status).toBe(200);
    expect((await fetch(poll)).status).toBe(401);
  });

  it('answers client mistakes in a body with 4xx JSON errors like tidings’ own, on tidings’ routes and the app’s', async () => {
    const { url } = await start();
    const token = await demoToken(url);
    const send = (path: string, headers: Record<string, string>, body: string | Uint8Array) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
        body: body as BodyInit,
      });
    const gzip = { 'content-encoding': 'gzip' };
    const mistakes: [string, Record<string, string>, string | Uint8Array, number, string][] = [
      ['gzip garbage', gzip, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), 400, 'bad_request'],
      ['deflate garbage', { 'content-encoding': 'deflate' }, 'garbage', 400, 'bad_request'],
      ['gzip of broken JSON', gzip, gzipSync('{not json'), 400, 'bad_request'],
      ['broken JSON', {}, '{not json', 400, 'bad_request'],
      [
        'over the parser’s 16 KB',
        {},
        JSON.stringify({ topic: 'chat', data: 'x'.repeat(20_000) }),
        413,
        'payload_too_large',
      ],
      [
        'a gzip bomb',
        gzip,
        gzipSync(JSON.stringify({ topic: 'chat', data: 'x'.repeat(5_000_000) })),
        413,
        'payload_too_large',
      ],
      ['an unknown encoding', { 'content-encoding': 'x-made-up' }, '{}', 415, 'unsupported_media_type'],
    ];
    for (const path of ['/realtime/publish', '/api/notes']) {
      for (const [what, headers, body, status, code] of mistakes) {
        const response = await send(path, headers, body);
        expect(response.status, `${path}: ${what}`).toBe(status);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        const answer = (await response.json()) as ErrorBody;
        expect(answer.error.code, `${path}: ${what}`).toBe(code);
        expect(answer.error.message.length).toBeGreaterThan(0);
        expect(answer.error.message).not.toContain('not json');
      }
    }
    // The app's own validation speaks the same shape, and the server still serves.
    const empty = await postNote(url, '');
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({
      error: { code: 'bad_request', message: 'text must be 1 to 500 characters' },
    });
    const chat = await send(
      '/realtime/publish',
      {},
      JSON.stringify({ topic: 'chat', data: { from: 't', text: 'ok' } }),
    );
    expect(chat.status).toBe(202);
  });

  it('answers an unexpected failure with a 500 that names no internals, and reports it', async () => {
    const app = new Koa();
    const reported: unknown[] = [];
    app.on('error', (error) => reported.push(error));
    app.use(jsonErrors());
    app.use(() => {
      throw new Error('db password is hunter2');
    });
    const server = app.listen(0, '127.0.0.1');
    closers.push(() => server.close());
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/anything`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(text).not.toContain('hunter2');
    expect(reported).toHaveLength(1);
  });
});
