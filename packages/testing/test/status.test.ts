import { afterEach, describe, expect, it } from 'vitest';
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
    // @ts-expect-error: not a supported kind
    expect(() => proxy.status('sse', 500)).toThrow(TypeError);
    expect(() => proxy.status('sse', 504, { delayMs: -1 })).toThrow(TypeError);
  });
});
