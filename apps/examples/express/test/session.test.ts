import { EventSource } from 'eventsource';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listenSessionApp, type RunningSessionApp } from '../src/session/session-app.ts';

const secret = 'a-session-secret-of-at-least-32-bytes!!';
let running: RunningSessionApp;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  running = await listenSessionApp({ secret, port: 0 });
});

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

afterAll(async () => {
  await running.close();
});

async function login(name: string): Promise<string> {
  const res = await fetch(`${running.url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers.get('set-cookie')!;
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=Lax/i);
  return cookie.split(';')[0]!;
}

/** A WebSocket with `headers`; resolves to its first message type, or the refused upgrade's status. */
function openSocket(
  path: string,
  headers: Record<string, string>,
): Promise<{ socket: WebSocket; first: string }> {
  const socket = new WebSocket(`${running.url.replace('http', 'ws')}${path}`, { headers });
  cleanups.push(() => socket.terminate());
  // A refused upgrade is terminated by the cleanup: that is expected, not a failure.
  socket.on('error', () => {});
  return new Promise((resolve) => {
    socket.once('message', (data) => resolve({ socket, first: JSON.parse(String(data)).type }));
    socket.once('unexpected-response', (_req, res) =>
      resolve({ socket, first: `refused ${res.statusCode}` }),
    );
  });
}

function sseEvents(url: string, headers: Record<string, string> = {}) {
  const source = new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...headers } }),
  });
  cleanups.push(() => source.close());
  const events: unknown[] = [];
  source.onmessage = (message) => events.push(JSON.parse(message.data).data);
  const opened = new Promise<boolean>((resolve) => {
    source.onopen = () => resolve(true);
    source.onerror = () => resolve(false);
  });
  return { source, events, opened };
}

describe('an existing express-session login authenticates subscriptions', () => {
  it('the session cookie alone opens SSE and a WebSocket from the app origin, and events arrive', async () => {
    const cookie = await login('ann');
    const origin = { cookie, origin: running.url };
    const stream = sseEvents(`${running.url}/realtime/sse?topics=notes`, origin);
    expect(await stream.opened).toBe(true);
    const { socket, first } = await openSocket('/realtime/ws?topics=notes', origin);
    expect(first).toBe('welcome');
    const wsEvents: unknown[] = [];
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'event') wsEvents.push(message.data);
    });
    const posted = await fetch(`${running.url}/api/notes`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hello' }),
    });
    expect(posted.status).toBe(201);
    await expect.poll(() => stream.events, { timeout: 3000 }).toEqual([{ text: 'hello', by: 'ann' }]);
    await expect.poll(() => wsEvents, { timeout: 3000 }).toEqual([{ text: 'hello', by: 'ann' }]);
  });

  it('refuses the same cookie from another origin (403), and no or a forged cookie (401)', async () => {
    const cookie = await login('bob');
    const evil = { cookie, origin: 'http://evil.example' };
    expect((await fetch(`${running.url}/realtime/sse?topics=notes`, { headers: evil })).status).toBe(403);
    expect((await openSocket('/realtime/ws?topics=notes', evil)).first).toBe('refused 403');
    expect((await fetch(`${running.url}/realtime/poll?topics=notes`)).status).toBe(401);
    const forged = cookie.replace(/\.[^.]+$/, '.forged');
    expect(
      (await fetch(`${running.url}/realtime/poll?topics=notes`, { headers: { cookie: forged } })).status,
    ).toBe(401);
  });

  it('logging out ends what the cookie can open', async () => {
    const cookie = await login('carol');
    expect((await fetch(`${running.url}/realtime/poll?topics=notes`, { headers: { cookie } })).status).toBe(
      200,
    );
    await fetch(`${running.url}/logout`, { method: 'POST', headers: { cookie } });
    expect((await fetch(`${running.url}/realtime/poll?topics=notes`, { headers: { cookie } })).status).toBe(
      401,
    );
  });
});

describe('a body that is not JSON', () => {
  it('gets a JSON 400: from tidings at /realtime/publish, from the app at its own routes', async () => {
    const cookie = await login('dan');
    const post = async (path: string) => {
      const res = await fetch(`${running.url}${path}`, {
        method: 'POST',
        headers: { cookie, origin: running.url, 'content-type': 'application/json' },
        body: '{"name": ',
      });
      expect(res.status, path).toBe(400);
      expect(res.headers.get('content-type'), path).toMatch(/^application\/json/);
      return res.json();
    };
    expect((await post('/realtime/publish')).error.code).toBe('bad_request');
    expect(await post('/login')).toEqual({ error: expect.any(String) });
    expect(await post('/api/notes')).toEqual({ error: expect.any(String) });
  });
});

describe('GET /api/realtime-ticket', () => {
  it('mints a ticket for the session user only; it opens an EventSource without the cookie, once', async () => {
    expect((await fetch(`${running.url}/api/realtime-ticket`)).status).toBe(401);
    const cookie = await login('dave');
    const answer = await fetch(`${running.url}/api/realtime-ticket`, { headers: { cookie } });
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const { ticket } = (await answer.json()) as { ticket: string };
    const url = `${running.url}/realtime/sse?topics=notes&ticket=${encodeURIComponent(ticket)}`;
    const stream = sseEvents(url);
    expect(await stream.opened).toBe(true);
    await fetch(`${running.url}/api/notes`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'by ticket' }),
    });
    await expect.poll(() => stream.events, { timeout: 3000 }).toEqual([{ text: 'by ticket', by: 'dave' }]);
    const replay = await fetch(url);
    expect(replay.status).toBe(401);
  });

  it('the ticket is bound to notes: it cannot open another topic', async () => {
    const cookie = await login('erin');
    const { ticket } = (await (
      await fetch(`${running.url}/api/realtime-ticket`, { headers: { cookie } })
    ).json()) as {
      ticket: string;
    };
    const other = await fetch(
      `${running.url}/realtime/poll?topics=other&ticket=${encodeURIComponent(ticket)}`,
    );
    expect(other.status).toBe(403);
  });
});
