import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { createHub } from '@tidings/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNodeHandler,
  createNodeStreamPort,
  NodeRequestView,
  serve,
  toRequest,
  writeAnswer,
  writeResponse,
} from '../src/index.ts';

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

describe('toRequest', () => {
  it('carries method, headers, path and a streamed body', async () => {
    let seen: { method: string; url: string; header: string | null; body: string } | undefined;
    const url = await listen(async (req, res) => {
      const request = toRequest(req, res);
      seen = {
        method: request.method,
        url: request.url,
        header: request.headers.get('x-custom'),
        body: await request.text(),
      };
      res.end();
    });
    await fetch(`${url}/a/publish?x=1`, { method: 'POST', headers: { 'x-custom': 'yes' }, body: '{"k":1}' });
    expect(seen).toEqual({ method: 'POST', url: `${url}/a/publish?x=1`, header: 'yes', body: '{"k":1}' });
  });

  it('re-serialises a body a parser in front already consumed', async () => {
    let body: string | undefined;
    const url = await listen(async (req, res) => {
      // What a body parser leaves behind: the stream read to the end, the parsed value on req.body.
      for await (const _ of req);
      Object.assign(req, { body: { parsed: true }, _body: true });
      body = await toRequest(req, res).text();
      res.end();
    });
    await fetch(url, { method: 'POST', body: '{"parsed":true}' });
    expect(body).toBe('{"parsed":true}');
  });

  it("aborts the request's signal when the client goes away before the answer", async () => {
    let signal: AbortSignal | undefined;
    const url = await listen((req, res) => {
      signal = toRequest(req, res).signal;
    });
    const controller = new AbortController();
    const pending = fetch(url, { signal: controller.signal }).catch(() => undefined);
    await until(() => signal !== undefined, 'the request');
    expect(signal!.aborted).toBe(false);
    controller.abort();
    await pending;
    await until(() => signal!.aborted, 'the signal to abort');
  });
});

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

describe('writeResponse', () => {
  it('writes status, headers and a finished body with a content-length', async () => {
    const url = await listen((_req, res) => {
      const headers = new Headers({ 'content-type': 'application/json', 'x-a': '1' });
      headers.append('set-cookie', 'a=1');
      headers.append('set-cookie', 'b=2');
      void writeResponse(res, new Response('{"ok":true}', { status: 201, headers }));
    });
    const res = await fetch(url);
    expect(res.status).toBe(201);
    expect(res.headers.get('content-length')).toBe('11');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('streams an event-stream body with backpressure and cancels it when the client goes away', async () => {
    let pulled = 0;
    let cancelled = false;
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const url = await listen((_req, res) => {
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled++;
          controller.enqueue(chunk);
        },
        cancel() {
          cancelled = true;
        },
      });
      void writeResponse(res, new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
    });
    const controller = new AbortController();
    const res = await fetch(url, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    // The client reads nothing more: the writer must stop pulling once the socket buffers are full.
    await until(() => pulled > 0, 'the first pull');
    let last = -1;
    for (let i = 0; i < 100 && pulled !== last; i++) {
      last = pulled;
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(pulled * chunk.length).toBeLessThan(64 * 1024 * 1024);
    controller.abort();
    await until(() => cancelled, 'the body to be cancelled');
  });
});

describe('createNodeStreamPort', () => {
  const headers = new Headers({ 'content-type': 'text/event-stream' });

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
