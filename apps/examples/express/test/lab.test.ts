import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LabEvent } from '../src/lab/lab-publisher.ts';
import { createLabPublisher } from '../src/lab/lab-publisher.ts';
import { listen, type Running } from '../src/listen.ts';

const secret = 'a-test-secret-of-at-least-32-bytes!!';
const OUTAGE_MS = 300;
let running: Running;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  running = await listen({ secret, port: 0, host: '127.0.0.1', labOutageMs: OUTAGE_MS });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await setRate(0, 0);
});

afterAll(async () => {
  await running.close();
});

async function demoToken(): Promise<string> {
  return (await (await fetch(`${running.url}/api/token`)).json()).token;
}

async function setRate(rate: unknown, payloadBytes: unknown): Promise<Response> {
  return fetch(`${running.url}/api/lab/rate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rate, payloadBytes }),
  });
}

function cut(token?: string): Promise<Response> {
  return fetch(`${running.url}/api/lab/cut`, {
    method: 'POST',
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** A WebSocket subscribed to `topics`, with the envelopes it received; resolves once welcomed. */
async function openSocket(token: string, topics = 'lab'): Promise<{ socket: WebSocket; events: LabEvent[] }> {
  // A bearer header, as the \`ws\` client can send: the lab's cutter knows whose socket it is.
  const socket = new WebSocket(`${running.url.replace('http', 'ws')}/realtime/ws?topics=${topics}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  cleanups.push(() => socket.terminate());
  const events: LabEvent[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'welcome') resolve();
      if (message.type === 'event') events.push(message.data);
    });
  });
  return { socket, events };
}

/** Opens an SSE stream with fetch and waits for its first bytes; `ended` settles when it ends. */
async function openStream(token: string): Promise<{ ended: Promise<string> }> {
  const abort = new AbortController();
  cleanups.push(() => abort.abort());
  const response = await fetch(`${running.url}/realtime/sse?topics=lab`, {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  await reader.read();
  const ended = (async () => {
    try {
      while (!(await reader.read()).done);
      return 'done';
    } catch {
      return 'error';
    }
  })();
  return { ended };
}

describe('the lab routes', () => {
  it('serves @tidings/client bundled for the browser, built at startup', async () => {
    const res = await fetch(`${running.url}/lab/client.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    const code = await res.text();
    // An ES module exporting the client's API, with its one dependency inlined.
    expect(code).toMatch(/export\s*\{[^}]*\bas createClient\b/);
    expect(code).not.toMatch(/from\s*["']@tidings\//);
  });

  it('publishes numbered, timestamped events on `lab` at the asked rate, within the limits', async () => {
    const token = await demoToken();
    const { events } = await openSocket(token);
    const res = await setRate(50, 64);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ rate: 50, payloadBytes: 64, running: true });

    await expect.poll(() => events.length, { timeout: 3000 }).toBeGreaterThanOrEqual(5);
    const [first, ...rest] = events;
    rest.forEach((event, i) => {
      expect(event.seq).toBe(first!.seq + i + 1);
    });
    expect(first!.pad).toHaveLength(64);
    expect(Math.abs(first!.sentAt - Date.now())).toBeLessThan(60_000);

    expect(await (await setRate(10_000, 10_000_000)).json()).toMatchObject({
      rate: 100,
      payloadBytes: 16_384,
    });
    expect((await setRate('fast', 10)).status).toBe(400);
    const stopped = await (await setRate(0, 0)).json();
    expect(stopped.running).toBe(false);
  });

  it('reports the server side: hub stats, the publisher, the bundle size and the clock', async () => {
    const stats = await (await fetch(`${running.url}/api/lab/stats`)).json();
    expect(stats.hub.connections).toMatchObject({ ws: expect.any(Number), sse: expect.any(Number) });
    expect(stats.publisher).toMatchObject({ maxRate: 100, maxPayloadBytes: 16_384, idleStopMs: 30_000 });
    expect(stats.cutOutageMs).toBe(OUTAGE_MS);
    expect(stats.clientBundle.gzipBytes).toBeGreaterThan(0);
    expect(stats.clientBundle.gzipBytes).toBeLessThan(stats.clientBundle.bytes);

    const { now } = await (await fetch(`${running.url}/api/lab/clock`)).json();
    expect(Math.abs(now - Date.now())).toBeLessThan(60_000);
  });

  it("cuts only the caller's own connections, then refuses its new ones for a while", async () => {
    expect((await cut()).status).toBe(401);
    const victim = await demoToken();
    const bystander = await demoToken();
    const socket = await openSocket(victim, 'chat');
    const stream = await openStream(victim);
    const other = await openSocket(bystander, 'chat');
    const socketClosed = new Promise((resolve) => socket.socket.once('close', resolve));

    const res = await cut(victim);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ cut: 2, outageMs: OUTAGE_MS });
    await socketClosed;
    expect(await stream.ended).toBe('error');
    expect(other.socket.readyState).toBe(WebSocket.OPEN);

    // During the outage the victim's requests are dropped without an answer; others are served.
    const pollAs = (token: string) =>
      fetch(`${running.url}/realtime/poll?topics=lab`, { headers: { authorization: `Bearer ${token}` } });
    await expect(pollAs(victim)).rejects.toThrow();
    expect((await pollAs(bystander)).status).toBe(200);
    await expect
      .poll(async () => (await pollAs(victim)).status, {
        timeout: 3000,
        interval: 100,
      })
      .toBe(200);
    await expect
      .poll(() => running.hub.stats().connections, { timeout: 3000 })
      .toMatchObject({ ws: 1, sse: 0 });
  });

  it('cuts a WebSocket that sends its token as its first message by the lab-user its page tags it with', async () => {
    const { token, user } = await (await fetch(`${running.url}/api/token`)).json();
    // As the lab page's client does: no credential in the upgrade, the token in the first message.
    const open = (tag: string) =>
      new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(`${running.url.replace('http', 'ws')}/realtime/ws?topics=chat${tag}`);
        cleanups.push(() => socket.terminate());
        socket.once('open', () => socket.send(JSON.stringify({ type: 'auth', token })));
        socket.once('error', reject);
        socket.on('message', (data) => {
          if (JSON.parse(String(data)).type === 'welcome') resolve(socket);
        });
      });
    const tagged = await open(`&lab-user=${encodeURIComponent(user)}`);
    const untagged = await open('');
    const closed = new Promise((resolve) => tagged.once('close', resolve));
    const res = await cut(token);
    expect(await res.json()).toMatchObject({ user, cut: 1 });
    await closed;
    // The upgrade of the untagged one says nothing of its user: the cutter cannot find it.
    expect(untagged.readyState).toBe(WebSocket.OPEN);
  });

  it('answers WebSocket upgrades on other paths with 404', async () => {
    const socket = new WebSocket(`${running.url.replace('http', 'ws')}/elsewhere`);
    cleanups.push(() => socket.terminate());
    const status = await new Promise<number | undefined>((resolve) => {
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode));
      socket.once('error', () => resolve(undefined));
    });
    expect(status).toBe(404);
  });
});

describe('createLabPublisher', () => {
  it('stops by itself when nobody has asked for idleStopMs', async () => {
    const published: LabEvent[] = [];
    const publisher = createLabPublisher(
      async (event) => {
        published.push(event);
      },
      { idleStopMs: 200 },
    );
    cleanups.push(publisher.close);
    expect(publisher.set({ rate: 100, payloadBytes: 3 }).running).toBe(true);
    await expect.poll(() => publisher.state().running, { timeout: 2000, interval: 50 }).toBe(false);
    const count = published.length;
    expect(count).toBeGreaterThan(0);
    expect(published[0]!.pad).toBe('xxx');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(published.length).toBe(count);
  });
});
