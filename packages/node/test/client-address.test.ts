import type { IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:http';
import { createHub } from '@tidings/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeHandler, forwardedFor, socketAddress } from '../src/index.ts';

const req = (xff: string | undefined, peer = '10.0.0.9') =>
  ({
    headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
    socket: { remoteAddress: peer },
  }) as unknown as IncomingMessage;

describe('client address', () => {
  it('socketAddress is the TCP peer', () => {
    expect(socketAddress(req('1.2.3.4'))).toBe('10.0.0.9');
  });

  it('forwardedFor trusts only the hops its proxies wrote', () => {
    expect(forwardedFor(1)(req('6.6.6.6, 1.2.3.4'))).toBe('1.2.3.4');
    expect(forwardedFor(2)(req('6.6.6.6, 1.2.3.4, 172.16.0.1'))).toBe('1.2.3.4');
    expect(forwardedFor(1)(req(undefined))).toBe('10.0.0.9');
    expect(() => forwardedFor(0)).toThrow(TypeError);
  });

  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it('the per-IP limit counts the forwarded address, so two clients behind one proxy are two', async () => {
    const hub = createHub({ anonymous: true, maxConnectionsPerIp: 1 });
    const handler = createNodeHandler(hub, { clientAddress: forwardedFor(1) });
    server = createServer((q, s) => void handler(q, s));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/realtime`;
    const open = (ip: string) =>
      fetch(`${base}/sse?topics=a`, { headers: { 'x-forwarded-for': ip } }).then(async (r) => {
        const reader = r.body!.getReader();
        if (r.status === 200) await reader.read();
        return { status: r.status, reader };
      });
    const a = await open('1.1.1.1');
    const b = await open('2.2.2.2');
    const c = await open('1.1.1.1');
    expect([a.status, b.status, c.status]).toEqual([200, 200, 429]);
    await hub.close();
    for (const r of [a, b, c]) await r.reader.cancel();
    server.closeAllConnections();
  });
});
