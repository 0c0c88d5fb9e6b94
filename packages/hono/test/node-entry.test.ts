import type { Server } from 'node:http';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, upgradeWebSocket } from '@hono/node-server';
import { createHub, type Hub, type HubOptions } from '@tidings/core';
import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { tidings as tidingsGeneric } from '../src/index.ts';
import { tidings } from '../src/node.ts';
import { readSse, readWs } from './support/clients.ts';
import { listenHonoNode } from './support/node-server.ts';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes';
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function hubWith(options: HubOptions): Hub {
  const hub = createHub(options);
  closers.push(() => hub.close());
  return hub;
}

/** A raw upgrade request, so the refusal's status and body can be read as they were sent. */
function upgradeAnswer(
  url: string,
  extra: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        ...extra,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', () => reject(new Error('the upgrade was accepted')));
    req.on('error', reject);
    req.end();
  });
}

describe('@tidings/hono/node', () => {
  it('writes SSE and polls straight to the ServerResponse, outside Hono’s response path', async () => {
    const hub = hubWith({ anonymous: true });
    const app = new Hono();
    const sent: (string | null)[] = [];
    app.use('*', async (c, next) => {
      await next();
      sent.push(c.res.headers.get('x-hono-already-sent'));
    });
    const running = await listenHonoNode(hub, app);
    closers.push(() => running.close());
    const sse = await readSse(`${running.origin}/realtime/sse?topics=a`);
    closers.push(() => sse.close());
    expect(sse.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    // Hono got @hono/node-server's "already sent" marker, not a streaming Response.
    expect(sent).toEqual(['true']);
    const poll = await fetch(`${running.origin}/realtime/poll?topics=a`);
    expect(poll.status).toBe(200);
    expect(await poll.json()).toMatchObject({ events: [] });
    expect(sent).toEqual(['true', 'true']);
    const id = await hub.publish('a', { n: 1 });
    const [event] = await sse.waitForEvents(1);
    expect(event!.id).toBe(id);
    expect(JSON.parse(event!.data)).toEqual({ id, topic: 'a', event: 'message', data: { n: 1 } });
  });

  it('falls back to a web stream without a Node response (app.request)', async () => {
    const hub = hubWith({ anonymous: true });
    const app = new Hono();
    app.use(tidings(hub));
    const response = await app.request('/realtime/sse?topics=a');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-hono-already-sent')).toBeNull();
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^retry: \d+\n/);
    await reader.cancel();
  });

  it('answers HEAD with the head a GET would get, and nothing logs ERR_HTTP_HEADERS_SENT', async () => {
    const hub = hubWith({ anonymous: true });
    const running = await listenHonoNode(hub);
    closers.push(() => running.close());
    // @hono/node-server's request listener returns a promise that settles once it is done with the
    // request, its error handling and logging included: wait for those, not for a timer.
    type Listener = (...args: unknown[]) => Promise<unknown>;
    const [listener] = running.server.listeners('request') as Listener[];
    const handled: Promise<unknown>[] = [];
    running.server.removeAllListeners('request');
    running.server.on('request', (req, res) => handled.push(listener!(req, res)));

    const logged: string[] = [];
    const describeArg = (arg: unknown) =>
      arg instanceof Error ? `${arg.stack} ${(arg as NodeJS.ErrnoException).code}` : String(arg);
    const onWarning = (warning: Error) => logged.push(`warning: ${describeArg(warning)}`);
    process.on('warning', onWarning);
    const consoleError = vi
      .spyOn(console, 'error')
      .mockImplementation((...args) => logged.push(`console.error: ${args.map(describeArg).join(' ')}`));
    const stderr = vi.spyOn(process.stderr, 'write');
    const heads: Record<string, { status: number; type: string | null; body: string }> = {};
    try {
      for (const route of ['sse', 'long-poll', 'poll']) {
        const res = await fetch(`${running.origin}/realtime/${route}?topics=a`, { method: 'HEAD' });
        heads[route] = { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
        if (route === 'sse') expect(res.headers.get('cache-control')).toContain('no-cache');
      }
      await Promise.all(handled);
    } finally {
      process.off('warning', onWarning);
      consoleError.mockRestore();
      stderr.mockRestore();
    }
    for (const [chunk] of stderr.mock.calls) logged.push(`stderr: ${String(chunk)}`);

    expect(heads).toEqual({
      sse: { status: 200, type: 'text/event-stream; charset=utf-8', body: '' },
      'long-poll': { status: 200, type: 'application/json; charset=utf-8', body: '' },
      poll: { status: 200, type: 'application/json; charset=utf-8', body: '' },
    });
    // Every request was finished by the server (a HEAD holds no stream open), and none logged.
    expect(handled).toHaveLength(3);
    expect(hub.stats().connections).toMatchObject({ sse: 0, longPoll: 0 });
    expect(logged.join('\n')).not.toContain('ERR_HTTP_HEADERS_SENT');
    expect(logged).toEqual([]);
  });

  it('applies one clientAddress to requests and to upgrades through attach()', async () => {
    const hub = hubWith({ anonymous: true, maxConnectionsPerIp: 1 });
    const asked: string[] = [];
    const running = await listenHonoNode(hub, new Hono(), {
      // Every client is "the same" proxy-forwarded address.
      clientAddress(req) {
        asked.push((req.url ?? '').split('?')[0]!);
        return '203.0.113.9';
      },
    });
    closers.push(() => running.close());
    const ws = await readWs(`${running.origin}/realtime/ws?topics=a`);
    closers.push(() => ws.close());
    await ws.waitFor('welcome');
    // The upgrade took that address's only slot, so a stream and a second upgrade are refused.
    const sse = await fetch(`${running.origin}/realtime/sse?topics=a`);
    expect(sse.status).toBe(429);
    await sse.body?.cancel();
    expect((await upgradeAnswer(`${running.origin}/realtime/ws?topics=a`)).status).toBe(429);
    expect(asked).toEqual(['/realtime/ws', '/realtime/sse', '/realtime/ws']);
  });

  it('refuses WebSocket upgrades with the full JSON error before upgrading, through attach()', async () => {
    const hub = hubWith({ jwt: { secret: SECRET } });
    const running = await listenHonoNode(hub);
    closers.push(() => running.close());
    const refusal = await upgradeAnswer(`${running.origin}/realtime/ws?topics=a`, {
      authorization: 'Bearer not-a-token',
    });
    expect(refusal.status).toBe(401);
    expect(JSON.parse(refusal.body)).toMatchObject({ error: { code: 'unauthorized' } });
  });
});

describe('@tidings/hono with @hono/node-server’s upgradeWebSocket (the portable bridge)', () => {
  it('bridges Hono’s WSContext to the hub: refusal, welcome, events, client messages, close', async () => {
    const hub = hubWith({ authenticate: (_request, token) => (token === 'ok' ? { id: 'user' } : null) });
    const app = new Hono();
    app.use(tidingsGeneric(hub, { upgradeWebSocket }));
    const server = serve({
      fetch: app.fetch,
      port: 0,
      hostname: '127.0.0.1',
      websocket: { server: new WebSocketServer({ noServer: true }) },
    }) as Server;
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(
      (await upgradeAnswer(`${origin}/realtime/ws?topics=a`, { authorization: 'Bearer nope' })).status,
    ).toBe(401);
    // No credential in the upgrade: the socket authenticates with its first message.
    const ws = await readWs(`${origin}/realtime/ws?topics=a`);
    closers.push(() => ws.close());
    ws.socket.send(JSON.stringify({ type: 'auth', token: 'ok' }));
    await ws.waitFor('welcome');
    const id = await hub.publish('a', 'hello');
    expect(await ws.waitFor('event')).toMatchObject({ id, topic: 'a', data: 'hello' });
    ws.socket.send(JSON.stringify({ type: 'ping' }));
    await ws.waitFor('pong');
    expect(hub.stats().connections.ws).toBe(1);
    const closed = new Promise<number>((resolve) => ws.socket.once('close', resolve));
    await hub.close();
    expect(await closed).toBe(1001);
    expect(hub.stats().connections.ws).toBe(0);
  });
});
