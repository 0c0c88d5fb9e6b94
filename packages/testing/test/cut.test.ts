import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { get, openRaw } from './support/raw-client.ts';
import { closeAll, proxied, track } from './support/setup.ts';
import { openSse } from './support/sse.ts';
import { until } from './support/until.ts';

afterEach(closeAll);

describe('cut()', () => {
  it('resets an open SSE stream: the client sees ECONNRESET and the server drops the connection', async () => {
    const { server, proxy } = await proxied();
    const raw = track(await openRaw(proxy.port));
    raw.send(get('/realtime/sse?topics=a'));
    await until(() => raw.received.includes(': open'), 'the stream to open');
    expect(server.hub.stats().connections.sse).toBe(1);

    expect(proxy.cut()).toBe(1);
    await until(() => raw.closed, 'the client socket to close');
    expect(raw.errorCode).toBe('ECONNRESET');
    await until(() => server.hub.stats().connections.sse === 0, 'the server to drop the stream');
    expect(proxy.stats().faults.cut).toBe(1);
    expect(proxy.stats().connections.active).toBe(0);
  });

  it('resets WebSockets and fetch streams alike, and takes new connections at once', async () => {
    const { server, proxy } = await proxied();
    const ws = track(new WebSocket(`${proxy.url.replace('http', 'ws')}/ws?topics=a`));
    const wsClosed = new Promise<number>((resolve) => ws.once('close', resolve));
    await new Promise((resolve) => ws.once('open', resolve));
    const sse = track(await openSse(`${proxy.url}/sse?topics=a`));
    await sse.waitFor(': open');
    await until(() => server.hub.stats().connections.total === 2, 'both connections at the server');

    expect(proxy.cut()).toBe(2);
    // 1006: closed without a close frame (ws keeps the socket's ECONNRESET to itself).
    expect(await wsClosed).toBe(1006);
    await until(() => sse.ended !== undefined, 'the SSE body to fail');
    // fetch says "terminated"; its cause is the reset.
    expect((sse.ended as Error & { cause?: { code?: string } }).cause?.code).toBe('ECONNRESET');
    await until(() => server.hub.stats().connections.total === 0, 'the server to drop both');

    const poll = await fetch(`${proxy.url}/poll?topics=a`);
    expect(poll.status).toBe(200);
    expect(proxy.stats().connections.active).toBe(1);
  });

  it('is a no-op with nothing open', async () => {
    const { proxy } = await proxied();
    expect(proxy.cut()).toBe(0);
    expect(proxy.stats().faults.cut).toBe(0);
  });
});
