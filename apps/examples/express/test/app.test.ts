import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Envelope, signJwt, verifyJwt } from '@tidings/core';
import { EventSource } from 'eventsource';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listen, type Running } from '../src/listen.ts';

const secret = 'a-test-secret-of-at-least-32-bytes!!';
let running: Running;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  running = await listen({ secret, port: 0, host: '127.0.0.1' });
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

function publish(token: string, topic: string, data: unknown): Promise<Response> {
  return fetch(`${running.url}/realtime/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ topic, data }),
  });
}

describe('example-express', () => {
  it('serves the lab and the by-hand page with their scripts from public/', async () => {
    const page = await fetch(`${running.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/lab/main.js"></script>');
    expect(html).toContain('id="panel-template"');
    const lab = await fetch(`${running.url}/lab/panel.js`);
    expect(lab.status).toBe(200);
    expect(await lab.text()).toContain("from '/lab/client.js'");

    const plain = await (await fetch(`${running.url}/plain.html`)).text();
    expect(plain).toContain('<script type="module" src="/plain.js"></script>');
    expect(plain).toContain('id="websocket"');
    const script = await fetch(`${running.url}/plain.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(await script.text()).toContain('new EventSource(');
  });

  it('mints a short-lived token that the hub accepts, and refuses requests without one', async () => {
    const before = Date.now();
    const { token, user, expiresAt } = await demoToken();
    const principal = await verifyJwt(token, { secret });
    expect(principal.id).toBe(user);
    expect(principal.claims?.role).toBe('guest');
    expect(expiresAt).toBeGreaterThan(before);
    expect(expiresAt).toBeLessThanOrEqual(before + 601_000);

    const ok = await fetch(`${running.url}/realtime/poll?topics=notes`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ events: [] });

    const anonymous = await fetch(`${running.url}/realtime/poll?topics=notes`);
    expect(anonymous.status).toBe(401);
    const forged = await signJwt({ sub: user, role: 'guest' }, 'another-secret-of-at-least-32-bytes!!');
    const wrongSecret = await fetch(`${running.url}/realtime/poll?topics=notes`, {
      headers: { authorization: `Bearer ${forged}` },
    });
    expect(wrongSecret.status).toBe(401);
  });

  it('delivers a note from POST /api/notes to an SSE client, a WebSocket client and a long poll', async () => {
    const { token } = await demoToken();
    const topics = 'topics=notes';

    // EventSource cannot send a header: a connect ticket, minted for the token, opens it.
    const ticketAnswer = await fetch(`${running.url}/api/realtime-ticket`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { ticket } = (await ticketAnswer.json()) as { ticket: string };
    const sseEvents: Envelope[] = [];
    const source = new EventSource(
      `${running.url}/realtime/sse?${topics}&ticket=${encodeURIComponent(ticket)}`,
    );
    cleanups.push(() => source.close());
    source.addEventListener('created', (message) => sseEvents.push(JSON.parse(message.data)));

    const wsEvents: Envelope[] = [];
    // The browser WebSocket cannot either: the token goes in the socket's first message.
    const socket = new WebSocket(`${running.url.replace('http', 'ws')}/realtime/ws?${topics}`);
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

    const longPoll = fetch(`${running.url}/realtime/long-poll?${topics}&timeout=5`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await untilConnected({ ws: 1, sse: 1, longPoll: 1 });
    await welcomed;

    const res = await postNote('hello, everyone');
    expect(res.status).toBe(201);
    const { note, eventId } = await res.json();
    expect(note.text).toBe('hello, everyone');
    const expected = { id: eventId, topic: 'notes', event: 'created', data: note };

    const answer = await longPoll;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ events: [expected], cursor: eventId });
    await expect.poll(() => sseEvents, { timeout: 3000 }).toEqual([expected]);
    await expect.poll(() => wsEvents, { timeout: 3000 }).toEqual([{ type: 'event', ...expected }]);

    const list = await (await fetch(`${running.url}/api/notes`)).json();
    expect(list.notes).toContainEqual(note);
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

  it('frees the slot of an SSE client that leaves, even after a garbage collection', async () => {
    // Node's Request signal stops following its source once the Request is collected
    // (nodejs/node#55428); a stream whose client left must still be released.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { token } = await demoToken();
    const abort = new AbortController();
    cleanups.push(() => abort.abort());
    const res = await fetch(`${running.url}/realtime/sse?topics=notes`, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    await res.body!.getReader().read();
    expect(running.hub.stats().connections.sse).toBe(1);
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
    abort.abort();
    await expect.poll(() => running.hub.stats().connections.sse, { timeout: 3000 }).toBe(0);
  });

  it('refuses an invalid note without publishing', async () => {
    const published = running.hub.stats().published;
    expect((await postNote('')).status).toBe(400);
    expect((await postNote(42)).status).toBe(400);
    expect((await postNote('x'.repeat(501))).status).toBe(400);
    expect(running.hub.stats().published).toBe(published);
  });

  it('answers a body that is not JSON, or too large, with a JSON error: tidings its own, the app its own', async () => {
    const { token } = await demoToken();
    const post = async (path: string, body: string) => {
      const res = await fetch(`${running.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      });
      // JSON, never Express's HTML error page (which would also show a stack trace).
      expect(res.headers.get('content-type'), `${path} ${res.status}`).toMatch(/^application\/json/);
      return { status: res.status, body: await res.json() };
    };
    const published = running.hub.stats().published;

    // tidings reads and checks the body of POST /realtime/publish itself (docs/protocol.md, error codes).
    const garbage = await post('/realtime/publish', '{"topic": "chat", "data": ');
    expect(garbage.status).toBe(400);
    expect(garbage.body.error.code).toBe('bad_request');
    const huge = JSON.stringify({ topic: 'chat', data: { from: 'me', text: 'x'.repeat(70_000) } });
    const tooLarge = await post('/realtime/publish', huge);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.code).toBe('payload_too_large');
    // Its limit is the hub's (`maxMessageBytes`, 64 KiB), not that of the app's own JSON parser (16 KiB).
    const big = JSON.stringify({ topic: 'chat', data: { from: 'me', text: 'x'.repeat(20_000) } });
    expect((await post('/realtime/publish', big)).status).toBe(202);
    expect(running.hub.stats().published).toBe(published + 1);

    // The app's routes: express.json() refuses, the app's error handler answers `{"error": "…"}`.
    for (const path of ['/api/notes', '/api/lab/rate']) {
      const notJson = await post(path, '{text: oops');
      expect(notJson.status).toBe(400);
      expect(notJson.body).toEqual({ error: expect.any(String) });
    }
    const overLimit = await post('/api/notes', JSON.stringify({ text: 'x'.repeat(20_000) }));
    expect(overLimit).toEqual({ status: 413, body: { error: 'request entity too large' } });
    expect(running.hub.stats().published).toBe(published + 1);
  });

  it('lets tokens with a role publish on chat, and nobody publish on notes from a client', async () => {
    const { token } = await demoToken();
    const bearer = { headers: { authorization: `Bearer ${token}` } };
    const start = await fetch(`${running.url}/realtime/poll?topics=chat`, bearer);
    const { cursor } = await start.json();

    const sent = await publish(token, 'chat', { from: 'me', text: 'hi' });
    expect(sent.status).toBe(202);
    const { id } = await sent.json();

    expect((await publish(token, 'notes', { text: 'sneaky' })).status).toBe(403);
    const noRole = await signJwt({ sub: 'someone', exp: Math.floor(Date.now() / 1000) + 60 }, secret);
    expect((await publish(noRole, 'chat', { text: 'hi' })).status).toBe(403);

    const after = await fetch(`${running.url}/realtime/poll?topics=chat&cursor=${cursor}`, bearer);
    expect(await after.json()).toEqual({
      events: [{ id, topic: 'chat', event: 'message', data: { from: 'me', text: 'hi' } }],
      cursor: id,
    });
  });
});
