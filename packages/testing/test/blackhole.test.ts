import { afterEach, describe, expect, it } from 'vitest';
import { get, openRaw, post } from './support/raw-client.ts';
import { closeAll, proxied, track } from './support/setup.ts';
import { until } from './support/until.ts';

afterEach(closeAll);

describe('blackhole()', () => {
  it('keeps an SSE connection established at both ends while no byte arrives', async () => {
    const { server, proxy } = await proxied();
    const raw = track(await openRaw(proxy.port));
    raw.send(get('/realtime/sse?topics=a'));
    await until(() => raw.received.includes(': open'), 'the stream to open');
    const before = raw.received;

    proxy.blackhole();
    const published = server.hub.stats().published;
    const ids = [await server.hub.publish('a', 1), await server.hub.publish('a', 2)];
    // The server wrote both events, and the proxy swallowed them.
    await until(() => server.hub.stats().delivered >= 2, 'the server to write the events');
    await until(() => proxy.stats().faults.droppedBytes > 0, 'the proxy to drop them');
    expect(server.hub.stats().published).toBe(published + 2);

    expect(raw.received).toBe(before);
    expect(raw.received).not.toContain(ids[0]);
    expect(raw.closed || raw.ended || raw.errorCode).toBeFalsy();
    expect(raw.socket.readyState).toBe('open');
    expect(server.hub.stats().connections.sse).toBe(1);
    expect(proxy.stats().faults.blackholed).toBe(1);
  });

  it('swallows what the client sends, on open and new connections: a publish never reaches the server', async () => {
    const { server, proxy } = await proxied();
    const open = track(await openRaw(proxy.port));
    proxy.blackhole();
    const fresh = track(await openRaw(proxy.port));
    const request = post('/realtime/publish', { topic: 'a', data: 1 });
    open.send(request);
    fresh.send(request);
    await until(
      () => proxy.stats().faults.droppedBytes === 2 * Buffer.byteLength(request),
      'both requests to be dropped',
    );
    expect(server.hub.stats().published).toBe(0);
    expect(proxy.stats().requests.total).toBe(0);
    expect(proxy.stats().bytes.up).toBe(0);
    expect(open.received + fresh.received).toBe('');
    expect(proxy.stats().faults.blackholed).toBe(2);
    expect(proxy.stats().connections.active).toBe(2);
  });

  it('after heal(), old connections stay dead, new ones work, and cut() ends the dead ones', async () => {
    const { server, proxy } = await proxied();
    const raw = track(await openRaw(proxy.port));
    raw.send(get('/realtime/sse?topics=a'));
    await until(() => raw.received.includes(': open'), 'the stream to open');
    const lift = proxy.blackhole();
    lift();

    // Lifted alone or by heal(): the connection that was in the blackhole stays dead.
    proxy.heal();
    const id = await server.hub.publish('a', 'after heal');
    await until(() => proxy.stats().faults.droppedBytes > 0, 'the event to be dropped');
    expect(raw.received).not.toContain(id);

    const poll = await fetch(`${proxy.url}/poll?topics=a`);
    expect(poll.status).toBe(200);
    expect(proxy.stats().faults.blackholed).toBe(1);

    expect(proxy.cut()).toBe(2);
    await until(() => raw.closed, 'the dead client socket to be reset');
    expect(raw.errorCode).toBe('ECONNRESET');
    await until(() => server.hub.stats().connections.sse === 0, 'the server to drop the dead stream');
  });
});
