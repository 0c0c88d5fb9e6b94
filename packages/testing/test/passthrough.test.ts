import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createFaultProxy } from '../src/index.ts';
import { get, openRaw, post } from './support/raw-client.ts';
import { closeAll, proxied, track } from './support/setup.ts';
import { openSse } from './support/sse.ts';
import { until } from './support/until.ts';

afterEach(closeAll);

describe('without faults, the proxy is a faithful relay', () => {
  it('keeps the target path in its url', async () => {
    const { server, proxy } = await proxied();
    expect(proxy.url).toBe(`http://127.0.0.1:${proxy.port}/realtime`);
    expect(proxy.port).not.toBe(server.port);
  });

  it('relays every route: poll, long poll, publish, SSE and WebSocket', async () => {
    const { server, proxy } = await proxied();
    const poll = await fetch(`${proxy.url}/poll?topics=a`);
    expect(poll.status).toBe(200);
    const { cursor } = (await poll.json()) as { cursor: string };

    const sse = track(await openSse(`${proxy.url}/sse?topics=a`));
    await sse.waitFor(': open');
    const ws = track(new WebSocket(`${proxy.url.replace('http', 'ws')}/ws?topics=a`));
    const frames: { type: string; id?: string }[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(String(data))));
    await until(() => frames[0]?.type === 'welcome', 'the WebSocket welcome');

    const longPoll = fetch(`${proxy.url}/long-poll?topics=a&cursor=${cursor}&timeout=10`);
    await until(() => server.hub.stats().connections.longPoll === 1, 'the long poll to wait');
    const published = await fetch(`${proxy.url}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'a', data: { n: 1 } }),
    });
    expect(published.status).toBe(202);
    const { id } = (await published.json()) as { id: string };

    const answer = (await (await longPoll).json()) as { events: { id: string }[] };
    expect(answer.events.map((e) => e.id)).toEqual([id]);
    await sse.waitFor(`id: ${id}`);
    await until(() => frames.some((f) => f.id === id), 'the event over the WebSocket');
    // Client to server through the tunnel: a ping gets its pong.
    ws.send(JSON.stringify({ type: 'ping' }));
    await until(() => frames.some((f) => f.type === 'pong'), 'the pong');

    const stats = proxy.stats();
    expect(stats.requests.byRoute).toEqual({ poll: 1, sse: 1, ws: 1, 'long-poll': 1, publish: 1 });
    expect(stats.requests.total).toBe(5);
    expect(stats.upgrades).toEqual({ requested: 1, accepted: 1 });
    expect(stats.faults.answered).toBe(0);
  });

  it('counts bytes both ways exactly, and connections opened and active', async () => {
    const { server, proxy } = await proxied();
    const raw = track(await openRaw(proxy.port));
    const requests = [
      get('/realtime/poll?topics=a'),
      post('/realtime/publish', { topic: 'a', data: 1 }, 'chunked'),
    ];
    raw.send(requests[0]!);
    expect((await raw.response()).status).toBe(200);
    raw.send(requests[1]!);
    expect((await raw.response()).status).toBe(202);
    expect(server.hub.stats().published).toBe(1);
    await until(
      () => proxy.stats().bytes.down === Buffer.byteLength(raw.received, 'latin1'),
      'the down count',
    );
    let stats = proxy.stats();
    expect(stats.bytes.up).toBe(Buffer.byteLength(requests.join(''), 'latin1'));
    expect(stats.connections).toEqual({ opened: 1, active: 1, upstreamFailed: 0 });
    expect(stats.requests).toEqual({ total: 2, byRoute: { poll: 1, publish: 1 } });

    proxy.resetStats();
    stats = proxy.stats();
    expect(stats.bytes).toEqual({ up: 0, down: 0 });
    expect(stats.connections).toEqual({ opened: 0, active: 1, upstreamFailed: 0 });
    expect(stats.requests.total).toBe(0);

    raw.close();
    await until(() => proxy.stats().connections.active === 0, 'the connection to close');
  });

  it('keeps a connection HTTP when the server answers an upgrade request without switching', async () => {
    // A server with no upgrade handler answers the handshake as a plain request, on a kept-alive connection.
    const plain = createServer((req, res) => res.end(`plain ${req.url}`));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    track({ close: () => new Promise((resolve) => plain.close(resolve)) });
    const proxy = track(
      await createFaultProxy({ target: `http://127.0.0.1:${(plain.address() as AddressInfo).port}` }),
    );
    const raw = track(await openRaw(proxy.port));
    raw.send(get('/first', { Connection: 'Upgrade', Upgrade: 'websocket' }));
    expect((await raw.response()).body).toBe('plain /first');
    raw.send(get('/second'));
    expect((await raw.response()).body).toBe('plain /second');
    expect(proxy.stats().upgrades).toEqual({ requested: 1, accepted: 0 });
    plain.closeAllConnections();
  });

  it('resets the client when the target refuses the connection', async () => {
    const { server, proxy } = await proxied();
    await server.close();
    const raw = track(await openRaw(proxy.port));
    await until(() => raw.closed, 'the client to be reset');
    expect(raw.errorCode).toBe('ECONNRESET');
    expect(proxy.stats().connections.upstreamFailed).toBe(1);
  });

  it('rejects a target that is not an http: URL', async () => {
    await expect(createFaultProxy({ target: 'not a url' })).rejects.toThrow(TypeError);
    await expect(createFaultProxy({ target: 'https://127.0.0.1:1' })).rejects.toThrow(/TLS/);
  });
});
