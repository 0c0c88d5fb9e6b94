import { EventSource } from 'eventsource';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listen, type Running } from '../src/listen.ts';

// The Express example with its morgan access log (Apache combined format, the full URL of every
// request and upgrade), driven over all four transports the way @tidings/client does it: the
// token in `Authorization` on HTTP routes, in the first message on a WebSocket, and a connect
// ticket where only a URL can carry anything (a browser EventSource or WebSocket).
const secret = 'a-test-secret-of-at-least-32-bytes!!';
const JWT = /eyJ[\w-]*\.[\w-]*\.[\w-]*/;
let running: Running;
const lines: string[] = [];

beforeAll(async () => {
  running = await listen({ secret, port: 0, host: '127.0.0.1', accessLog: (line) => lines.push(line) });
});

afterAll(async () => {
  await running.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await sleep(10);
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

it('logs every transport with no JWT, and no ticket that still opens anything', async () => {
  const { token } = (await (await fetch(`${running.url}/api/token`)).json()) as { token: string };
  const bearer = { authorization: `Bearer ${token}` };
  const url = running.url;
  const ws = url.replace('http', 'ws');
  const ticket = async () =>
    ((await (await fetch(`${url}/api/realtime-ticket`, { headers: bearer })).json()) as { ticket: string })
      .ticket;

  // Short poll and long poll: the token in the header.
  expect((await fetch(`${url}/realtime/poll?topics=notes`, { headers: bearer })).status).toBe(200);
  const longPoll = await fetch(`${url}/realtime/long-poll?topics=notes&timeout=0`, { headers: bearer });
  expect(longPoll.status).toBe(200);
  await longPoll.text();

  // SSE over fetch streaming (what the client does): the token in the header.
  const abort = new AbortController();
  const sse = await fetch(`${url}/realtime/sse?topics=notes`, { headers: bearer, signal: abort.signal });
  expect(sse.status).toBe(200);
  await sse.body!.getReader().read();
  abort.abort();

  // SSE with the browser's EventSource, which sends no header: a ticket.
  const sseTicket = await ticket();
  const source = new EventSource(`${url}/realtime/sse?topics=notes&ticket=${encodeURIComponent(sseTicket)}`);
  await new Promise<void>((resolve, reject) => {
    source.onopen = () => resolve();
    source.onerror = () => reject(new Error('EventSource refused'));
  });
  source.close();

  // WebSocket: the token as the first message.
  const socket = new WebSocket(`${ws}/realtime/ws?topics=notes`);
  socket.on('open', () => socket.send(JSON.stringify({ type: 'auth', token })));
  await new Promise<void>((resolve) =>
    socket.on('message', (data) => JSON.parse(String(data)).type === 'welcome' && resolve()),
  );
  socket.close();

  // WebSocket with a ticket (a page that cannot hold the token at all).
  const wsTicket = await ticket();
  const ticketed = new WebSocket(`${ws}/realtime/ws?topics=notes&ticket=${encodeURIComponent(wsTicket)}`);
  await new Promise<void>((resolve) =>
    ticketed.on('message', (data) => JSON.parse(String(data)).type === 'welcome' && resolve()),
  );
  ticketed.close();

  // A publish: the token in the header.
  const published = await fetch(`${url}/realtime/publish`, {
    method: 'POST',
    headers: { ...bearer, 'content-type': 'application/json' },
    body: JSON.stringify({ topic: 'chat', data: { text: 'logged?' } }),
  });
  expect(published.status).toBe(202);

  await until(() => running.hub.stats().connections.total === 0, 'every connection to close');
  await until(() => lines.filter((l) => l.includes('/realtime/sse')).length >= 2, 'the SSE lines');
  const log = lines.join('');
  for (const route of [
    '/realtime/poll',
    '/realtime/long-poll',
    '/realtime/sse',
    '/realtime/ws',
    '/realtime/publish',
  ]) {
    expect(log, route).toContain(`GET ${route}`.replace('GET /realtime/publish', 'POST /realtime/publish'));
  }
  expect(log).not.toMatch(JWT);
  expect(log).not.toContain(token);
  // The tickets are in the log (a URL is all EventSource has), and both are dead.
  const logged = [...log.matchAll(/ticket=([^ &"]+)/g)].map((m) => decodeURIComponent(m[1]!));
  expect(logged.sort()).toEqual([sseTicket, wsTicket].sort());
  for (const replay of logged) {
    const again = await fetch(`${url}/realtime/poll?topics=notes&ticket=${encodeURIComponent(replay)}`);
    expect(again.status).toBe(401);
    await again.body?.cancel();
  }
});
