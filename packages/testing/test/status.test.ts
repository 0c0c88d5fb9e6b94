import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHub } from '@tidings/core';
import { serve } from '@tidings/node';
import { afterEach, describe, expect, it } from 'vitest';
import { createFaultProxy } from '../src/index.ts';
import { get, openRaw, post } from './support/raw-client.ts';
import { closeAll, proxied, track } from './support/setup.ts';
import { until } from './support/until.ts';

afterEach(closeAll);

describe('status()', () => {
  it('answers the 2nd request of a kept-alive connection with a 504 page, and the 3rd passes', async () => {
    const { server, proxy } = await proxied();
    proxy.status('sse', 504);
    const raw = track(await openRaw(proxy.port));

    raw.send(get('/realtime/poll?topics=a'));
    expect((await raw.response()).status).toBe(200);
    raw.send(get('/realtime/sse?topics=a'));
    const timeout = await raw.response();
    expect(timeout.status).toBe(504);
    expect(timeout.headers['content-type']).toMatch(/^text\/html/);
    expect(timeout.headers.connection).toBe('keep-alive');
    expect(timeout.body).toContain('Gateway Timeout');
    raw.send(get('/realtime/poll?topics=a'));
    expect((await raw.response()).status).toBe(200);

    expect(server.hub.stats().connections.sse).toBe(0);
    expect(proxy.stats().connections.opened).toBe(1);
    expect(proxy.stats().faults).toMatchObject({ answered: 1, answeredByRoute: { sse: 1 } });
    expect(proxy.stats().requests.byRoute).toEqual({ poll: 2, sse: 1 });
  });

  it('keeps pipelined answers in request order, even when its own answer waits (delayMs)', async () => {
    const { proxy } = await proxied();
    proxy.status('long-poll', 503, { delayMs: 150 });
    const raw = track(await openRaw(proxy.port));
    const started = performance.now();
    // Three requests in one write: the server answers the 1st and 3rd at once; the 2nd is the proxy's, later.
    raw.send(
      get('/realtime/poll?topics=a') + get('/realtime/long-poll?topics=a') + get('/realtime/poll?topics=b'),
    );
    const first = await raw.response();
    const second = await raw.response();
    const third = await raw.response();
    expect([first.status, second.status, third.status]).toEqual([200, 503, 200]);
    // A lower bound only (Node timers may fire up to 1 ms early).
    expect(performance.now() - started).toBeGreaterThanOrEqual(148);
    expect(second.headers['content-type']).toMatch(/^text\/plain/);
    expect(second.body).toBe('Service Unavailable\n');
    expect(JSON.parse(third.body)).toMatchObject({ events: [] });
  });

  it('drops the body of a refused publish, by length or chunked, and the connection goes on', async () => {
    const { server, proxy } = await proxied();
    proxy.status('publish', '403-html');
    const raw = track(await openRaw(proxy.port));
    for (const framing of ['length', 'chunked'] as const) {
      raw.send(post('/realtime/publish', { topic: 'a', data: framing }, framing));
      const denied = await raw.response();
      expect(denied.status).toBe(403);
      expect(denied.headers['content-type']).toMatch(/^text\/html/);
      expect(denied.body).toContain('Access Denied');
    }
    expect(server.hub.stats().published).toBe(0);
    raw.send(get('/realtime/poll?topics=a'));
    expect((await raw.response()).status).toBe(200);
    expect(proxy.stats().faults.answered).toBe(2);
    expect(proxy.stats().bytes.up).toBe(Buffer.byteLength(get('/realtime/poll?topics=a')));
  });

  it('closes after its answer when the client asked to close', async () => {
    const { proxy } = await proxied();
    proxy.status('poll', 503);
    const raw = track(await openRaw(proxy.port));
    raw.send(get('/realtime/poll?topics=a', { Connection: 'close' }));
    const answer = await raw.response();
    expect(answer.status).toBe(503);
    expect(answer.headers.connection).toBe('close');
    await until(() => raw.ended, 'the FIN after the answer');
  });

  it('closes after its answer when the refused body cannot be framed (it cannot find the next request)', async () => {
    const { server, proxy } = await proxied();
    proxy.status('publish', 503);
    const raw = track(await openRaw(proxy.port));
    raw.send(
      'POST /realtime/publish HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    );
    expect((await raw.response()).status).toBe(503);
    await until(() => raw.ended, 'the FIN after the answer');
    expect(server.hub.stats().published).toBe(0);
    expect(proxy.stats().bytes.up).toBe(0);
  });

  it('answers fetch too, and lifting the rule lets the route through', async () => {
    const { proxy } = await proxied();
    const lift = proxy.status('sse', 503);
    const refused = await fetch(`${proxy.url}/sse?topics=a`);
    expect(refused.status).toBe(503);
    expect(await refused.text()).toBe('Service Unavailable\n');
    lift();
    const stream = await fetch(`${proxy.url}/sse?topics=a`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await stream.body!.cancel();
  });

  it('rejects unknown routes and kinds', async () => {
    const { proxy } = await proxied();
    // @ts-expect-error: not a tidings route
    expect(() => proxy.status('events', 503)).toThrow(TypeError);
    // @ts-expect-error: a path must start with /
    expect(() => proxy.status('api/x/poll', 503)).toThrow(TypeError);
    expect(() => proxy.status('/realtime/poll?topics=a', 503)).toThrow(TypeError);
    // @ts-expect-error: not a supported kind
    expect(() => proxy.status('sse', 500)).toThrow(TypeError);
    expect(() => proxy.status('sse', 504, { delayMs: -1 })).toThrow(TypeError);
  });
});

/**
 * A hub at `hubPath` on a server that also has the app's own routes, which end like tidings' ones:
 * the fallback answers every other path with `app <path>`, and remembers what it saw.
 */
async function appServer(hubPath?: string) {
  const seen: string[] = [];
  const fallback = (req: IncomingMessage, res: ServerResponse) => {
    seen.push(req.url!);
    const body = `app ${req.url}`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }).end(body);
  };
  const served = track(
    await serve(createHub({ anonymous: true, authorize: () => true }), {
      ...(hubPath ? { path: hubPath } : {}),
      fallback,
    }),
  );
  return { served, seen, origin: new URL(served.url).origin };
}

describe("status() answers only the hub's own routes", () => {
  it("leaves the app's /api/x/poll alone while {path}/poll gets the status", async () => {
    const { served, seen } = await appServer();
    const proxy = track(await createFaultProxy({ target: served.url }));
    proxy.status('poll', 503);
    proxy.status('sse', '403-html');
    const raw = track(await openRaw(proxy.port));

    raw.send(get('/api/x/poll?topics=a'));
    const app = await raw.response();
    expect([app.status, app.body]).toEqual([200, 'app /api/x/poll?topics=a']);
    raw.send(get('/realtime/poll?topics=a'));
    expect((await raw.response()).status).toBe(503);
    raw.send(get('/api/sse'));
    expect((await raw.response()).body).toBe('app /api/sse');
    raw.send(get('/realtime/sse?topics=a'));
    expect((await raw.response()).status).toBe(403);
    // Not a route of the hub: a deeper path, or one that only starts like the hub's.
    raw.send(get('/realtime/x/poll'));
    expect((await raw.response()).body).toBe('app /realtime/x/poll');
    raw.send(get('/realtimepoll'));
    expect((await raw.response()).body).toBe('app /realtimepoll');

    expect(seen).toEqual(['/api/x/poll?topics=a', '/api/sse', '/realtime/x/poll', '/realtimepoll']);
    expect(proxy.path).toBe('/realtime');
    const stats = proxy.stats();
    expect(stats.faults.answeredByRoute).toEqual({ poll: 1, sse: 1 });
    expect(stats.requests.byRoute).toEqual({
      poll: 1,
      sse: 1,
      '/api/x/poll': 1,
      '/api/sse': 1,
      '/realtime/x/poll': 1,
      '/realtimepoll': 1,
    });
  });

  it('defaults to /realtime when the target has no path, and takes another path as the option', async () => {
    const { origin } = await appServer();
    const plain = track(await createFaultProxy({ target: origin }));
    expect(plain.url).toBe(`http://127.0.0.1:${plain.port}`);
    expect(plain.path).toBe('/realtime');
    plain.status('poll', 503);
    expect((await fetch(`${plain.url}/realtime/poll?topics=a`)).status).toBe(503);
    expect(await (await fetch(`${plain.url}/api/x/poll`)).text()).toBe('app /api/x/poll');

    const moved = await appServer('/api/live');
    // The target's path is the hub's by default (serve()'s URL ends in it)...
    const derived = track(await createFaultProxy({ target: moved.served.url }));
    expect(derived.path).toBe('/api/live');
    derived.status('poll', 503);
    expect((await fetch(`${derived.url}/poll?topics=a`)).status).toBe(503);
    // ...and the option names it when the target is the server's origin; trailing slashes go.
    const named = track(await createFaultProxy({ target: moved.origin, path: '/api/live/' }));
    expect(named.path).toBe('/api/live');
    named.status('poll', 504);
    expect((await fetch(`${named.url}/api/live/poll?topics=a`)).status).toBe(504);
    expect(await (await fetch(`${named.url}/realtime/poll`)).text()).toBe('app /realtime/poll');
    expect(named.stats().requests.byRoute).toEqual({ poll: 1, '/realtime/poll': 1 });

    // A hub at the root: `path: '/'` names `/poll`.
    const root = track(await createFaultProxy({ target: origin, path: '/' }));
    expect(root.path).toBe('');
    root.status('poll', 503);
    expect((await fetch(`${root.url}/poll`)).status).toBe(503);
    expect((await fetch(`${root.url}/realtime/poll?topics=a`)).status).toBe(200);
  });

  it('answers {path}/ready, and a whole path exactly', async () => {
    const { served, seen } = await appServer();
    const proxy = track(await createFaultProxy({ target: served.url }));
    proxy.status('ready', 503);
    const lift = proxy.status('/api/x/poll', '403-html');
    expect((await fetch(`${proxy.url}/ready`)).status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${proxy.port}/api/x/poll?since=1`)).status).toBe(403);
    expect((await fetch(`http://127.0.0.1:${proxy.port}/api/y/poll`)).status).toBe(200);
    expect((await fetch(`${proxy.url}/poll?topics=a`)).status).toBe(200);
    // The whole path of a hub route is the same rule as its name: a later call replaces it.
    proxy.status('/realtime/poll', 504);
    expect((await fetch(`${proxy.url}/poll?topics=a`)).status).toBe(504);
    proxy.status('poll', 503);
    expect((await fetch(`${proxy.url}/poll?topics=a`)).status).toBe(503);
    lift();
    expect(await (await fetch(`http://127.0.0.1:${proxy.port}/api/x/poll`)).text()).toBe('app /api/x/poll');
    expect(seen).toEqual(['/api/y/poll', '/api/x/poll']);
    expect(proxy.stats().faults.answeredByRoute).toEqual({ ready: 1, '/api/x/poll': 1, poll: 2 });
  });

  it('rejects a path that is not one', async () => {
    const { served } = await appServer();
    for (const path of ['realtime', '/realtime?x', '', '/a b']) {
      await expect(createFaultProxy({ target: served.url, path })).rejects.toThrow(TypeError);
    }
  });
});
