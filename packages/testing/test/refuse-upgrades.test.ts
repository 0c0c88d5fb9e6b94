import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { get, openRaw } from './support/raw-client.ts';
import { closeAll, proxied, track } from './support/setup.ts';
import { until } from './support/until.ts';

afterEach(closeAll);

/** Opens a `ws` WebSocket and resolves with how it ended up: open, or the error it failed with. */
function tryWebSocket(url: string): Promise<{ ws: WebSocket; error?: Error }> {
  const ws = track(new WebSocket(url));
  return new Promise((resolve) => {
    ws.once('open', () => resolve({ ws }));
    ws.once('error', (error) => resolve({ ws, error }));
  });
}

describe('refuseUpgrades()', () => {
  it('answers a WebSocket handshake with a real 503: the ws client says "Unexpected server response: 503"', async () => {
    const { server, proxy } = await proxied();
    proxy.refuseUpgrades(503);
    const { error } = await tryWebSocket(`${proxy.url.replace('http', 'ws')}/ws?topics=a`);
    expect(error?.message).toBe('Unexpected server response: 503');
    expect(server.upgradesSeen).toBe(0);
    expect(proxy.stats().upgrades).toEqual({ requested: 1, accepted: 0 });
    expect(proxy.stats().faults.refusedUpgrades).toBe(1);
  });

  it('leaves the connection usable for plain requests, and lifting it lets WebSockets through', async () => {
    const { server, proxy } = await proxied();
    const lift = proxy.refuseUpgrades(426);
    const raw = track(await openRaw(proxy.port));
    raw.send(
      get('/realtime/ws?topics=a', {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      }),
    );
    const refused = await raw.response();
    expect(refused.status).toBe(426);
    expect(refused.body).toBe('426 Upgrade Required\n');
    raw.send(get('/realtime/poll?topics=a'));
    expect((await raw.response()).status).toBe(200);

    lift();
    const { ws, error } = await tryWebSocket(`${proxy.url.replace('http', 'ws')}/ws?topics=a`);
    expect(error).toBeUndefined();
    const frames: { type: string; id?: string }[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(String(data))));
    await until(() => server.hub.stats().connections.ws === 1, 'the server to seat the socket');
    const id = await server.hub.publish('a', 'through');
    await until(() => frames.some((f) => f.id === id), 'the event');
    expect(server.upgradesSeen).toBe(1);
    expect(proxy.stats().upgrades).toEqual({ requested: 2, accepted: 1 });
  });

  it('rejects a status outside 200–599', async () => {
    const { proxy } = await proxied();
    expect(() => proxy.refuseUpgrades(101)).toThrow(TypeError);
    expect(() => proxy.refuseUpgrades(600)).toThrow(TypeError);
  });
});
