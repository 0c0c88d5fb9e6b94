import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHub, signJwt } from '@tidings/core';
import { serve } from '@tidings/node';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createConnectionCutter, tokenSubject } from '../src/index.ts';
import { closeAll, track } from './support/setup.ts';
import { until } from './support/until.ts';

afterEach(closeAll);

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';

async function server() {
  // The cutter tells users apart by the token in a request (header, cookie or, here, the query).
  const hub = createHub({ jwt: { secret: SECRET }, tokenInQuery: true });
  const served = track(await serve(hub));
  return { hub, served, url: served.url, wsUrl: served.url.replace('http', 'ws') };
}

const token = (sub: string) => signJwt({ sub, exp: Math.floor(Date.now() / 1000) + 600 }, SECRET);

/** A WebSocket that resolves once welcomed; `closed` settles with the close code (1006 after a reset). */
async function socket(url: string) {
  const ws = new WebSocket(url);
  track({ close: () => ws.terminate() });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'welcome') resolve();
    });
  });
  return { ws, closed };
}

/** An SSE stream read with fetch until its first bytes; `ended` says how it ended. */
async function stream(url: string, headers: Record<string, string>) {
  const abort = new AbortController();
  track({ close: () => abort.abort() });
  const response = await fetch(url, { headers, signal: abort.signal });
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

describe('createConnectionCutter', () => {
  it("resets the matching user's WebSockets and streams, and leaves everyone else's", async () => {
    const { hub, served, url, wsUrl } = await server();
    const cutter = track(createConnectionCutter());
    cutter.attach(served.server);
    const alice = await token('alice');
    const bob = await token('bob');
    const aliceWs = await socket(`${wsUrl}/ws?topics=a&token=${alice}`);
    const aliceSse = await stream(`${url}/sse?topics=a`, { authorization: `Bearer ${alice}` });
    const bobWs = await socket(`${wsUrl}/ws?topics=a&token=${bob}`);
    const bobSse = await stream(`${url}/sse?topics=a`, { authorization: `Bearer ${bob}` });
    expect(cutter.stats().open).toBe(4);

    expect(cutter.cut((req) => tokenSubject(req) === 'alice')).toBe(2);
    expect(await aliceWs.closed).toBe(1006);
    expect(await aliceSse.ended).toBe('error');
    await until(() => hub.stats().connections.total === 2, 'the hub to free alice’s slots');
    expect(bobWs.ws.readyState).toBe(WebSocket.OPEN);
    const id = await hub.publish('a', 'still here');
    await new Promise<void>((resolve) =>
      bobWs.ws.on('message', (data) => {
        if (JSON.parse(String(data)).id === id) resolve();
      }),
    );
    expect(cutter.stats()).toMatchObject({ open: 2, cut: 2, refused: 0, outages: 0 });
    // No outage by default: alice comes straight back.
    await socket(`${wsUrl}/ws?topics=a&token=${alice}`);
    void bobSse;
  });

  it('keeps matching requests out during the outage, before the app sees them; heal() lets them in', async () => {
    const { hub, served, url, wsUrl } = await server();
    let seen = 0;
    served.server.prependListener('request', () => seen++);
    const cutter = track(createConnectionCutter({ outageMs: Infinity }));
    cutter.attach(served.server);
    const alice = await token('alice');
    const bob = await token('bob');
    expect(cutter.cut((req) => tokenSubject(req) === 'alice')).toBe(0);
    const before = seen;
    await expect(fetch(`${url}/poll?topics=a&token=${alice}`)).rejects.toThrow();
    await expect(socket(`${wsUrl}/ws?topics=a&token=${alice}`)).rejects.toThrow();
    expect(seen).toBe(before);
    expect((await fetch(`${url}/poll?topics=a&token=${bob}`)).status).toBe(200);
    expect(cutter.stats()).toMatchObject({ refused: 2, outages: 1 });
    expect(hub.stats().connections.total).toBe(0);
    cutter.heal();
    expect((await fetch(`${url}/poll?topics=a&token=${alice}`)).status).toBe(200);
    expect(cutter.stats().outages).toBe(0);
  });

  it('ends a timed outage by itself', async () => {
    const { served, url } = await server();
    const cutter = track(createConnectionCutter());
    cutter.attach(served.server);
    const alice = await token('alice');
    cutter.cut((req) => tokenSubject(req) === 'alice', { outageMs: 200 });
    await expect(fetch(`${url}/poll?topics=a&token=${alice}`)).rejects.toThrow();
    // Not a test of speed: it must end at some point after 200 ms, however late.
    const deadline = performance.now() + 10_000;
    let status = 0;
    while (status !== 200) {
      if (performance.now() > deadline) throw new Error('the outage never ended');
      status = await fetch(`${url}/poll?topics=a&token=${alice}`).then(
        (r) => r.status,
        () => 0,
      );
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(cutter.stats()).toMatchObject({ outages: 0 });
    expect(cutter.stats().refused).toBeGreaterThanOrEqual(1);
  });

  it('matches by path and by header, on any node:http server, whatever listeners came first', async () => {
    const plain = createServer((req, res) => {
      // A long answer, as a stream is: it stays open until cut. The URL rewritten, as Express's
      // mounted routers do while a request runs: matchers still see the one it arrived with.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(req.url ?? '');
      req.url = '/rewritten';
    });
    const cutter = track(createConnectionCutter());
    cutter.attach(plain);
    plain.on('request', () => {});
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    track({
      close: () => {
        plain.closeAllConnections();
        return new Promise((resolve) => plain.close(resolve));
      },
    });
    const base = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
    const open = (path: string, headers: Record<string, string> = {}) => stream(`${base}${path}`, headers);
    const feed = await open('/feed');
    const tenantA = await open('/other', { 'x-tenant': 'a' });
    const tenantB = await open('/other', { 'x-tenant': 'b' });
    expect(cutter.cut((req) => req.url === '/feed')).toBe(1);
    expect(await feed.ended).toBe('error');
    expect(cutter.cut((req) => req.headers['x-tenant'] === 'a')).toBe(1);
    expect(await tenantA.ended).toBe('error');
    expect(cutter.stats().open).toBe(1);
    void tenantB;
  });

  it('counts a throwing matcher as no match; detach and close stop it', async () => {
    const { served, url } = await server();
    const cutter = createConnectionCutter({ outageMs: Infinity });
    const detach = cutter.attach(served.server);
    cutter.cut(() => {
      throw new Error('bad matcher');
    });
    expect((await fetch(`${url}/poll?topics=a&token=${await token('a')}`)).status).toBe(200);
    expect(cutter.stats().matchErrors).toBe(1);
    cutter.cut(() => true);
    await expect(fetch(`${url}/poll?topics=a&token=${await token('a')}`)).rejects.toThrow();
    detach();
    expect((await fetch(`${url}/poll?topics=a&token=${await token('a')}`)).status).toBe(200);
    cutter.attach(served.server);
    cutter.close();
    expect((await fetch(`${url}/poll?topics=a&token=${await token('a')}`)).status).toBe(200);
    expect(cutter.stats().outages).toBe(0);
  });

  it('refuses bad arguments with a TypeError', () => {
    expect(() => createConnectionCutter({ outageMs: -1 })).toThrow(TypeError);
    const cutter = createConnectionCutter();
    expect(() => cutter.cut('alice' as never)).toThrow(TypeError);
    expect(() => cutter.cut(() => true, { outageMs: Number.NaN })).toThrow(TypeError);
  });
});

describe('tokenSubject', () => {
  it('reads sub from a Bearer header, the token query parameter or a named cookie, without verifying', async () => {
    const jwt = await signJwt({ sub: 'alice' }, 'some-other-secret-of-at-least-32-bytes');
    const request = (url: string, headers: Record<string, string> = {}) =>
      ({ url, headers }) as unknown as IncomingMessage;
    expect(tokenSubject(request('/sse', { authorization: `Bearer ${jwt}` }))).toBe('alice');
    expect(tokenSubject(request(`/ws?token=${jwt}`))).toBe('alice');
    expect(tokenSubject(request('/sse', { cookie: `x=1; t=${jwt}` }), { cookie: 't' })).toBe('alice');
    expect(tokenSubject(request('/sse', { cookie: `t=${jwt}` }))).toBeUndefined();
    expect(tokenSubject(request('/sse?token=not.a-jwt.at-all'))).toBeUndefined();
    expect(tokenSubject(request('/sse'))).toBeUndefined();
    const noSub = await signJwt({ role: 'x' }, 'some-other-secret-of-at-least-32-bytes');
    expect(tokenSubject(request(`/sse?token=${noSub}`))).toBeUndefined();
  });
});
