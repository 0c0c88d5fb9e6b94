import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
// The client by path, not by package name: @tidings/client's own tests are to use this package, and
// a devDependency both ways would be a cycle in the workspace graph (turbo refuses those).
import { type Client, type ClientEvents, createClient, type TransportName } from '../../client/src/index.ts';
import { createRecorder } from '../src/index.ts';
import { closeAll, proxied, track } from './support/setup.ts';
import { until } from './support/until.ts';

afterEach(closeAll);

function nextEvent<E extends keyof ClientEvents>(
  client: Client,
  name: E,
): Promise<Parameters<ClientEvents[E]>[0]> {
  return new Promise((resolve) => {
    const off = client.on(name, ((arg: Parameters<ClientEvents[E]>[0]) => {
      off();
      resolve(arg);
    }) as ClientEvents[E]);
  });
}

async function publishMany(hub: { publish(topic: string, data: unknown): Promise<string> }, count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await hub.publish('a', { n: i }));
  return ids;
}

describe('@tidings/client through the fault proxy, checked by the recorder', () => {
  for (const transport of ['sse', 'ws'] as TransportName[]) {
    it(`over ${transport}, a cut in the middle loses nothing: every event once, in order`, async () => {
      const { server, proxy } = await proxied();
      const client = track(
        createClient({
          url: proxy.url,
          topics: ['a'],
          transports: [transport],
          sharedConnection: false,
          reconnectDelayMs: 50,
          WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
        }),
      );
      const recorder = createRecorder();
      recorder.attach(client);
      expect(await nextEvent(client, 'open')).toEqual({ transport });

      const ids = await publishMany(server.hub, 10);
      await recorder.waitFor(10);
      const reconnected = nextEvent(client, 'open');
      expect(proxy.cut()).toBeGreaterThanOrEqual(1);
      // Published while the client is down: it resumes from its cursor and gets them replayed.
      ids.push(...(await publishMany(server.hub, 10)));
      await reconnected;
      ids.push(...(await publishMany(server.hub, 10)));
      await recorder.waitFor(30, { timeoutMs: 10_000 });

      recorder.assertComplete(ids);
      expect(recorder.check(ids)).toMatchObject({ ok: true, resets: 0, received: 30 });
      expect(proxy.stats().faults.cut).toBeGreaterThanOrEqual(1);
      expect(proxy.stats().connections.opened).toBeGreaterThanOrEqual(2);
    });
  }

  it('buffer() makes the client fall back from SSE to long polling; lifting it lets the client probe back', async () => {
    const { server, proxy } = await proxied();
    const lift = proxy.buffer({ bytes: Infinity });
    const client = track(
      createClient({
        url: proxy.url,
        topics: ['a'],
        transports: ['sse', 'long-poll'],
        sharedConnection: false,
        openTimeoutMs: 300,
        probeIntervalMs: 200,
      }),
    );
    const recorder = createRecorder();
    recorder.attach(client);
    const fallback = nextEvent(client, 'fallback');
    expect(await nextEvent(client, 'open')).toEqual({ transport: 'long-poll' });
    expect(await fallback).toMatchObject({
      from: 'sse',
      to: 'long-poll',
      reason: expect.stringMatching(/buffering proxy/),
    });
    const ids = await publishMany(server.hub, 5);
    await recorder.waitFor(5);

    lift();
    for (let i = 0; i < 200 && client.transport !== 'sse'; i++) {
      ids.push(await server.hub.publish('a', i));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(client.transport).toBe('sse');
    ids.push(...(await publishMany(server.hub, 3)));
    await recorder.waitFor(ids.length);
    recorder.assertComplete(ids);
    await until(() => server.hub.stats().connections.total === 1, 'only the SSE stream left');
  });
});
