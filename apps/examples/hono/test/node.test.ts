import { type Envelope, signJwt, verifyJwt } from '@tidings/core';
import { EventSource } from 'eventsource';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listenNode, type Running } from '../src/listen-node.ts';

const secret = 'a-test-secret-of-at-least-32-bytes!!';
let running: Running;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  running = await listenNode({ secret, port: 0, host: '127.0.0.1' });
});

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

afterAll(async () => {
  await running.close();
});

async function demoToken(): Promise<{ token: string; user: string; expiresAt: number }> {
  const res = await fetch(`${running.url}/api/token`);
  expect(res.status).toBe(200);
  return res.json();
}

/** Waits, at most 3 s, until the hub counts the connections a test opened. */
async function untilConnected(want: { ws?: number; sse?: number; longPoll?: number }): Promise<void> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const c = running.hub.stats().connections;
    if (c.ws >= (want.ws ?? 0) && c.sse >= (want.sse ?? 0) && c.longPoll >= (want.longPoll ?? 0)) return;
    if (Date.now() > deadline) throw new Error(`connections not open: ${JSON.stringify(c)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function postNote(text: unknown): Promise<Response> {
  return fetch(`${running.url}/api/notes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
}

describe('example-hono on Node', () => {
  it('serves the page and its script from public/', async () => {
    const page = await fetch(`${running.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/app.js"></script>');
    expect(html).toContain('Hono example');
    const script = await fetch(`${running.url}/app.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('new EventSource(');
  });

  it('mints a short-lived token that the hub accepts, and refuses requests without one', async () => {
    const { token, user } = await demoToken();
    expect((await verifyJwt(token, { secret })).id).toBe(user);
    const ok = await fetch(`${running.url}/realtime/poll?topics=notes`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
    expect((await fetch(`${running.url}/realtime/poll?topics=notes`)).status).toBe(401);
  });

  it('delivers a note from POST /api/notes to an SSE client, a WebSocket client and a long poll', async () => {
    const { token } = await demoToken();
    const sseEvents: Envelope[] = [];
    // EventSource sends no header: a connect ticket, minted for the token, opens the stream.
    const { ticket } = (await (
      await fetch(`${running.url}/api/realtime-ticket`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { ticket: string };
    const source = new EventSource(
      `${running.url}/realtime/sse?topics=notes&ticket=${encodeURIComponent(ticket)}`,
    );
    cleanups.push(() => source.close());
    source.addEventListener('created', (message) => sseEvents.push(JSON.parse(message.data)));
    const wsEvents: Envelope[] = [];
    // No token in the WebSocket URL either: it is the socket's first message.
    const socket = new WebSocket(`${running.url.replace('http', 'ws')}/realtime/ws?topics=notes`);
    cleanups.push(() => socket.terminate());
    socket.on('open', () => socket.send(JSON.stringify({ type: 'auth', token })));
    // The hub counts a socket from its upgrade, before its auth message is verified; it is
    // subscribed when its `welcome` comes. A note posted before that would precede its start.
    const welcomed = new Promise<void>((resolve) => {
      socket.on('message', (data) => {
        const message = JSON.parse(String(data));
        if (message.type === 'welcome') resolve();
        if (message.type === 'event') wsEvents.push(message);
      });
    });
    const longPoll = fetch(`${running.url}/realtime/long-poll?topics=notes&timeout=5`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await untilConnected({ ws: 1, sse: 1, longPoll: 1 });
    await welcomed;

    const res = await postNote('hello from Hono');
    expect(res.status).toBe(201);
    const { note, eventId } = await res.json();
    const expected = { id: eventId, topic: 'notes', event: 'created', data: note };
    const answer = await longPoll;
    expect(await answer.json()).toEqual({ events: [expected], cursor: eventId });
    await expect.poll(() => sseEvents, { timeout: 3000 }).toEqual([expected]);
    await expect.poll(() => wsEvents, { timeout: 3000 }).toEqual([{ type: 'event', ...expected }]);
    expect((await (await fetch(`${running.url}/api/notes`)).json()).notes).toContainEqual(note);
  });

  it('GET /api/notes carries the cursor to subscribe from: a note added after it is not lost', async () => {
    const { token } = await demoToken();
    const loaded = await (await fetch(`${running.url}/api/notes`)).json();
    expect(loaded.cursor).toBe(running.hub.head());
    const { eventId } = await (await postNote('published while the page loads')).json();
    const answer = await fetch(`${running.url}/realtime/poll?topics=notes&cursor=${loaded.cursor}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = await answer.json();
    expect(body.events.map((e: { id: string }) => e.id)).toEqual([eventId]);
  });

  it('refuses an invalid note without publishing, and client publishes on notes', async () => {
    const published = running.hub.stats().published;
    expect((await postNote('')).status).toBe(400);
    expect((await postNote('x'.repeat(501))).status).toBe(400);
    const { token } = await demoToken();
    const sneaky = await fetch(`${running.url}/realtime/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ topic: 'notes', data: { text: 'sneaky' } }),
    });
    expect(sneaky.status).toBe(403);
    const noRole = await signJwt({ sub: 'x', exp: Math.floor(Date.now() / 1000) + 60 }, secret);
    const chat = await fetch(`${running.url}/realtime/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${noRole}` },
      body: JSON.stringify({ topic: 'chat', data: { text: 'hi' } }),
    });
    expect(chat.status).toBe(403);
    expect(running.hub.stats().published).toBe(published);
  });
});
