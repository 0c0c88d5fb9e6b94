import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { createHub } from '@tidings/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeHandler, serve } from '../src/index.ts';
import { createNodeStreamPort } from '../src/node-stream-port.ts';
import { NodeRequestView } from '../src/request-view.ts';
import { writeAnswer } from '../src/write-answer.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Sends raw bytes (a request fetch would refuse to send) and reads until the server closes. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('raw request timed out')));
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('NodeRequestView', () => {
  it('reads method, URL and headers (any case, repeats joined) straight from the IncomingMessage', async () => {
    let seen: Record<string, unknown> | undefined;
    const url = await listen((req, res) => {
      const view = new NodeRequestView(req, res);
      seen = {
        method: view.method,
        url: view.url,
        custom: view.headers.get('X-Custom'),
        repeated: view.headers.get('x-repeat'),
        absent: view.headers.get('x-absent'),
      };
      res.end();
    });
    const { port } = new URL(url);
    await rawRequest(
      Number(port),
      'GET /base/poll?topics=a HTTP/1.1\r\nHost: example.test\r\nX-Custom: yes\r\nX-Repeat: 1\r\nX-Repeat: 2\r\nConnection: close\r\n\r\n',
    );
    expect(seen).toEqual({
      method: 'GET',
      url: 'http://example.test/base/poll?topics=a',
      custom: 'yes',
      repeated: '1, 2',
      absent: null,
    });
  });

  it('reads a streamed body once, and a body a parser already consumed as one chunk', async () => {
    const bodies: string[] = [];
    const url = await listen(async (req, res) => {
      if (req.headers['x-parsed']) {
        for await (const _ of req);
        Object.assign(req, { body: { parsed: true }, _body: true });
      }
      const view = new NodeRequestView(req, res);
      expect(view.body).toBe(view.body);
      bodies.push(await new Response(view.body).text());
      res.end();
    });
    await fetch(url, { method: 'POST', body: 'streamed' });
    await fetch(url, { method: 'POST', headers: { 'x-parsed': '1' }, body: '{"parsed":true}' });
    expect(bodies).toEqual(['streamed', '{"parsed":true}']);
  });

  it('aborts its signal when the client leaves, even when the signal is first read after it left', async () => {
    const signals: AbortSignal[] = [];
    let early: NodeRequestView | undefined;
    const url = await listen((req, res) => {
      const view = new NodeRequestView(req, res);
      if (req.url === '/late') early = view;
      else signals.push(view.signal);
    });
    const first = new AbortController();
    const pending = fetch(`${url}/now`, { signal: first.signal }).catch(() => undefined);
    await until(() => signals.length === 1, 'the request');
    expect(signals[0]!.aborted).toBe(false);
    first.abort();
    await pending;
    await until(() => signals[0]!.aborted, 'the signal to abort');

    const second = new AbortController();
    const late = fetch(`${url}/late`, { signal: second.signal }).catch(() => undefined);
    await until(() => early !== undefined, 'the second request');
    second.abort();
    await late;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(early!.signal.aborted).toBe(true);
  });
});

describe('writeAnswer and createNodeHandler', () => {
  it('writes a plain answer with its headers and a byte length', async () => {
    const url = await listen((_req, res) =>
      writeAnswer(res, { status: 201, headers: { 'content-type': 'text/plain', 'x-a': 'b' }, body: 'héllo' }),
    );
    const response = await fetch(url);
    expect(response.status).toBe(201);
    expect(response.headers.get('x-a')).toBe('b');
    expect(response.headers.get('content-length')).toBe('6');
    expect(await response.text()).toBe('héllo');
  });

  it('answers a request with a malformed Host with 400 and keeps serving', async () => {
    const hub = createHub({ anonymous: true });
    const handler = createNodeHandler(hub);
    const url = await listen((req, res) => void handler(req, res));
    const { port } = new URL(url);
    const raw = await rawRequest(
      Number(port),
      'GET /realtime/poll?topics=a HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n',
    );
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toContain('"bad_request"');
    expect((await fetch(`${url}/realtime/poll?topics=a`)).status).toBe(200);
    await hub.close();
  });

  it('answers only {path}/route and hands everything else back, at any depth', async () => {
    const hub = createHub({ anonymous: true });
    const handler = createNodeHandler(hub, { path: '/api/live/' });
    expect(handler.path).toBe('/api/live');
    const url = await listen((req, res) => {
      if (!handler(req, res)) res.writeHead(200).end(`app ${req.method} ${req.url}`);
    });
    expect((await fetch(`${url}/api/live/poll?topics=a`)).status).toBe(200);
    expect(await (await fetch(`${url}/api/live/poll/?topics=a`)).json()).toMatchObject({ events: [] });
    for (const path of ['/api/orders/publish', '/poll', '/api/live/x/poll', '/api/livepoll', '/api/live']) {
      const response = await fetch(`${url}${path}`, { method: path.endsWith('publish') ? 'POST' : 'GET' });
      expect(await response.text(), path).toBe(`app ${path.endsWith('publish') ? 'POST' : 'GET'} ${path}`);
    }
    await hub.close();
  });

  it('answers 500 misconfigured, naming both paths, when a framework mount can never reach the path', async () => {
    const errors: unknown[] = [];
    const hub = createHub({ anonymous: true, onError: (_error, info) => errors.push(info) });
    const handler = createNodeHandler(hub);
    const url = await listen((req, res) => {
      // What a framework that mounted the handler at /rt passes: the original URL and its prefix.
      const mount = { originalUrl: req.url ?? '/', prefix: '/rt', fix: 'mount it elsewhere' };
      if (!handler(req, res, mount)) res.writeHead(200).end('app');
    });
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${url}/rt/poll?topics=a`);
      expect(response.status).toBe(500);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('misconfigured');
      expect(error.message).toContain('"/rt"');
      expect(error.message).toContain('"/realtime"');
      expect(error.message).toContain('mount it elsewhere');
    }
    // A setup mistake is reported once, not per request; the app's other routes are untouched.
    expect(errors).toEqual([{ stage: 'mount' }]);
    expect(await (await fetch(`${url}/rt/other`)).text()).toBe('app');
    await hub.close();
  });

  it('refuses a path that is not a plain URL path', () => {
    const hub = createHub({ anonymous: true });
    for (const path of ['realtime', '/a b', '/a?x', '//a', '']) {
      expect(() => createNodeHandler(hub, { path }), path).toThrow(TypeError);
    }
  });

  it('serve rejects when the port is taken, instead of hanging on an unhandled error', async () => {
    const hub = createHub({ anonymous: true });
    const first = await serve(hub);
    try {
      const port = Number(new URL(first.url).port);
      await expect(serve(createHub({ anonymous: true }), { port })).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      await first.close();
    }
  });

  it('serve answers polls and long polls through the view end to end', async () => {
    const hub = createHub({ anonymous: true });
    const served = await serve(hub);
    try {
      const first = await (await fetch(`${served.url}/poll?topics=a`)).json();
      const waiting = fetch(`${served.url}/long-poll?topics=a&cursor=${first.cursor}`).then((r) => r.json());
      await until(() => hub.stats().connections.total === 1, 'the long poll to wait');
      await hub.publish('a', 'x');
      expect((await waiting).events.map((e: { data: unknown }) => e.data)).toEqual(['x']);
    } finally {
      await served.close();
    }
  });
});

describe('createNodeStreamPort', () => {
  const headers = { 'content-type': 'text/event-stream' };

  it('finishes an ended stream normally when the client reads it', async () => {
    let res: ServerResponse | undefined;
    let finished = false;
    const url = await listen((_req, response) => {
      res = response;
      response.once('finish', () => {
        finished = true;
      });
      const port = createNodeStreamPort(response, { endGraceMs: 100 });
      port.open(200, headers);
      port.write(': hello\n\n');
      port.end();
    });
    expect(await (await fetch(url)).text()).toBe(': hello\n\n');
    await until(() => finished, 'the response to finish');
    expect(res!.writableFinished).toBe(true);
  });

  it('destroys the socket of a client that stopped reading once the grace after end() runs out', async () => {
    let res: ServerResponse | undefined;
    const url = await listen((_req, response) => {
      res = response;
      const port = createNodeStreamPort(response, { endGraceMs: 100 });
      port.open(200, headers);
      // 16 MB: more than the loopback socket buffers hold, so most of it stays queued in Node.
      const chunk = `data: ${'x'.repeat(65_536)}\n\n`;
      for (let i = 0; i < 256; i++) port.write(chunk);
      port.end();
    });
    const { port } = new URL(url);
    const client = connect({ host: '127.0.0.1', port: Number(port) });
    client.on('error', () => {});
    try {
      client.write(`GET / HTTP/1.1\r\nhost: x\r\n\r\n`);
      client.pause();
      await until(() => res !== undefined, 'the request');
      expect(res!.writableFinished).toBe(false);
      await until(() => res!.destroyed, 'the socket to be destroyed');
    } finally {
      client.destroy();
    }
  });
});
