import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
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

    const source = new EventSource(`${url}/realtime/sse?topics=notes&token=${token}`);
    closers.push(() => source.close());
    await first<void>((done, fail) => {
      source.onopen = () => done();
      source.onerror = () => fail(new Error('SSE refused'));
    });
    const socket = new WebSocket(`${url.replace('http', 'ws')}/realtime/ws?topics=notes&token=${token}`);
    closers.push(() => socket.terminate());
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
});
