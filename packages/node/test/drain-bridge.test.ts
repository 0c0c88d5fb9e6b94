import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHub, type Hub } from '@tidings/core';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { attachWebSocket, createNodeHandler, type WebSocketAttachment } from '../src/index.ts';
import { openStuck } from './support/stuck-client.ts';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function listen(hub: Hub): Promise<{ server: Server; base: string; ws: WebSocketAttachment }> {
  const handler = createNodeHandler(hub);
  const server = createServer((req, res) => {
    if (!handler(req, res)) res.writeHead(404).end();
  });
  const ws = attachWebSocket(server, hub);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  cleanup.push(() => server.closeAllConnections());
  cleanup.push(() => ws.close());
  cleanup.push(() => hub.close());
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}/realtime`, ws };
}

/** One GET on a kept-alive agent: the status and the Connection header it came with. */
function get(url: string): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
    })
      .once('error', reject)
      .end();
  });
}

describe('attachWebSocket().close()', () => {
  it('destroys the sockets it upgraded, the well-behaved and the stuck: no closing handshake is awaited', async () => {
    const hub = createHub({ anonymous: true, heartbeatMs: 60_000 });
    const { base, ws } = await listen(hub);
    const client = new WebSocket(`${base.replace('http', 'ws')}/ws?topics=t`);
    client.on('error', () => {});
    await new Promise((resolve) => client.once('message', resolve));
    const stuck = await openStuck(base, '/realtime/ws?topics=t', '"welcome"', true);
    cleanup.push(() => stuck.socket.destroy());
    const closed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));
    ws.close();
    // 1006: dropped without a close frame, which is the point (the hub's drain is the graceful part).
    expect(await closed).toBe(1006);
    expect((await stuck.drain()).ended).toBe(true);
    // The hub heard each socket close: nothing is left in its registry either.
    expect(hub.stats().connections.total).toBe(0);
  });
});

describe('the Node bridge while the hub drains', () => {
  it('answers with Connection: close, so the next request opens a connection the balancer can send elsewhere', async () => {
    const hub = createHub({ anonymous: true, heartbeatMs: 60_000, drainTimeoutMs: 5000 });
    const { base } = await listen(hub);
    expect(await get(`${base}/ready`)).toEqual({ status: 200, connection: 'keep-alive' });
    // A socket that never finishes its closing handshake keeps the hub draining meanwhile.
    const stuck = await openStuck(base, '/realtime/ws?topics=t', '"welcome"', true);
    cleanup.push(() => stuck.socket.destroy());
    const closing = hub.close();
    expect(await get(`${base}/ready`)).toEqual({ status: 503, connection: 'close' });
    expect((await get(`${base}/poll?topics=t`)).connection).toBe('close');
    stuck.socket.destroy();
    await closing;
  });
});
