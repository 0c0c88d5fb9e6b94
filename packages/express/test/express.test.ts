import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONFORMANCE_SECRET, toHubOptions } from '@tidings/conformance';
import { createHub, signJwt } from '@tidings/core';
import compression from 'compression';
import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { tidings } from '../src/index.ts';
import { type ExpressFixture, startExpress } from './start-express.ts';

const options = toHubOptions({ jwtSecret: CONFORMANCE_SECRET, maxMessageBytes: 4096 });
const bearer = async (role: string) => {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  return `Bearer ${await signJwt({ sub: `u-${role}`, role, exp }, CONFORMANCE_SECRET)}`;
};

let fixture: ExpressFixture | undefined;
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await fixture?.close();
  fixture = undefined;
});

/** Reads an event stream with fetch; `next()` resolves with the next `data:` payload. */
async function sseReader(url: string, headers: Record<string, string>) {
  const controller = new AbortController();
  closers.push(() => controller.abort());
  const response = await fetch(url, { headers, signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    response,
    async next(): Promise<{ id: string; data: unknown }> {
      const deadline = Date.now() + 5000;
      for (;;) {
        const match = /data: (.*)\n\n/.exec(buffer);
        if (match) {
          buffer = buffer.slice(match.index + match[0].length);
          return JSON.parse(match[1]!);
        }
        if (Date.now() > deadline) throw new Error('no SSE event within 5 s');
        const { done, value } = await reader.read();
        if (done) throw new Error('the SSE stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    },
  };
}

describe('HTTP routes through supertest', () => {
  it('short poll: 200 JSON with no-store and no ETag; a publish shows up after the cursor', async () => {
    fixture = await startExpress(options);
    const agent = request(fixture.server);
    const first = await agent
      .get('/realtime/poll?topics=notes')
      .set('authorization', await bearer('subscriber'));
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    expect(first.headers['cache-control']).toContain('no-store');
    expect(first.headers.etag).toBeUndefined();
    expect(first.body.events).toEqual([]);
    const published = await agent
      .post('/realtime/publish')
      .set('authorization', await bearer('publisher'))
      .send({ topic: 'notes', event: 'created', data: { text: 'hi' } });
    expect(published.status).toBe(202);
    const after = await agent
      .get(`/realtime/poll?topics=notes&cursor=${first.body.cursor}`)
      .set('authorization', await bearer('subscriber'));
    expect(after.body.events).toEqual([
      { id: published.body.id, topic: 'notes', event: 'created', data: { text: 'hi' } },
    ]);
  });

  it('long poll answers when its timeout passes', async () => {
    fixture = await startExpress(options);
    const res = await request(fixture.server)
      .get('/realtime/long-poll?topics=notes&timeout=0.2')
      .set('authorization', await bearer('subscriber'));
    expect(res.status).toBe(200);
    expect(res.body.events).toEqual([]);
  });

  it('errors are JSON with the protocol codes', async () => {
    fixture = await startExpress(options);
    const agent = request(fixture.server);
    const noToken = await agent.get('/realtime/poll?topics=a');
    expect(noToken.status).toBe(401);
    expect(noToken.body.error.code).toBe('unauthorized');
    const badTopics = await agent
      .get('/realtime/poll?topics=a,,b')
      .set('authorization', await bearer('subscriber'));
    expect(badTopics.status).toBe(400);
    expect(badTopics.body.error.code).toBe('bad_request');
    const forbidden = await agent
      .post('/realtime/publish')
      .set('authorization', await bearer('subscriber'))
      .send({ topic: 'a', data: 1 });
    expect(forbidden.status).toBe(403);
    const wrongMethod = await agent.get('/realtime/publish').set('authorization', await bearer('publisher'));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
    const tooBig = await agent
      .post('/realtime/publish')
      .set('authorization', await bearer('publisher'))
      .set('content-type', 'application/json')
      .send(JSON.stringify({ topic: 'a', data: 'x'.repeat(5000) }));
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('payload_too_large');
  });
});

describe('behind the compression middleware', () => {
  it('SSE events still arrive one by one, uncompressed, while other routes are compressed', async () => {
    fixture = await startExpress(
      options,
      (app) => app.use(compression({ threshold: 0 })),
      (app) => app.get('/api/big', (_req, res) => res.type('text').send('y'.repeat(10_000))),
    );
    const big = await fetch(`${fixture.origin}/api/big`, { headers: { 'accept-encoding': 'gzip' } });
    expect(big.headers.get('content-encoding')).toBe('gzip');
    await big.text();
    const sse = await sseReader(`${fixture.origin}/realtime/sse?topics=feed`, {
      authorization: await bearer('subscriber'),
      'accept-encoding': 'gzip, deflate, br',
    });
    expect(sse.response.status).toBe(200);
    expect(sse.response.headers.get('content-encoding')).toBeNull();
    // Each event must arrive before the next is published: a buffering middleware would stall here.
    for (let i = 0; i < 5; i++) {
      const id = await fixture.hub.publish('feed', { i });
      const event = await sse.next();
      expect(event).toMatchObject({ id, data: { i } });
    }
  });

  it('poll answers stay valid JSON when compressed', async () => {
    fixture = await startExpress(options, (app) => app.use(compression({ threshold: 0 })));
    const res = await fetch(`${fixture.origin}/realtime/poll?topics=a`, {
      headers: { authorization: await bearer('subscriber'), 'accept-encoding': 'gzip' },
    });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect((await res.json()) as unknown).toMatchObject({ events: [] });
  });
});

describe('behind express.json()', () => {
  it('POST /publish works with the body already parsed, and its limits still apply', async () => {
    let appBody: unknown;
    fixture = await startExpress(
      options,
      (app) => app.use(express.json()),
      (app) =>
        app.post('/api/echo', (req, res) => {
          appBody = req.body;
          res.json({ ok: true });
        }),
    );
    const agent = request(fixture.server);
    const sse = await sseReader(`${fixture.origin}/realtime/sse?topics=notes`, {
      authorization: await bearer('subscriber'),
    });
    const ok = await agent
      .post('/realtime/publish')
      .set('authorization', await bearer('publisher'))
      .send({ topic: 'notes', data: { text: 'parsed first' } });
    expect(ok.status).toBe(202);
    expect(await sse.next()).toMatchObject({ id: ok.body.id, data: { text: 'parsed first' } });
    const tooBig = await agent
      .post('/realtime/publish')
      .set('authorization', await bearer('publisher'))
      .send({ topic: 'notes', data: 'x'.repeat(5000) });
    expect(tooBig.status).toBe(413);
    const notObject = await agent
      .post('/realtime/publish')
      .set('authorization', await bearer('publisher'))
      .send([1, 2]);
    expect(notObject.status).toBe(400);
    expect(notObject.body.error.code).toBe('bad_request');
    await agent.post('/api/echo').send({ mine: true });
    expect(appBody).toEqual({ mine: true });
  });
});

describe('routing', () => {
  it("passes paths that are not tidings routes to the app's own routes", async () => {
    fixture = await startExpress(
      options,
      (app) => app.get('/health', (_req, res) => res.json({ ok: 'before' })),
      (app) => {
        app.get('/realtime/status', (_req, res) => res.json({ ok: 'status' }));
        app.get('/api/notes', (_req, res) => res.json({ notes: [] }));
        app.use((_req, res) => res.status(404).json({ app404: true }));
      },
    );
    const agent = request(fixture.server);
    expect((await agent.get('/health')).body).toEqual({ ok: 'before' });
    expect((await agent.get('/realtime/status')).body).toEqual({ ok: 'status' });
    expect((await agent.get('/api/notes')).body).toEqual({ notes: [] });
    const unknown = await agent.get('/realtime/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ app404: true });
    expect((await agent.get('/realtime/poll?topics=a')).status).toBe(401);
  });

  it('works under another base path, WebSockets included', async () => {
    const hub = createHub(options);
    const app = express();
    const realtime = tidings(hub, { path: '/live/' });
    app.use('/live', realtime);
    const server = await new Promise<Server>((resolve) => {
      const s: Server = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const attachment = realtime.attach(server);
    closers.push(async () => {
      await hub.close();
      attachment.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    expect(realtime.path).toBe('/live');
    const { port } = server.address() as AddressInfo;
    const token = await bearer('subscriber');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/live/ws?topics=a`, {
      headers: { authorization: token },
    });
    closers.push(() => ws.terminate());
    const first = await new Promise<{ type: string }>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(String(data))));
      ws.once('error', reject);
    });
    expect(first.type).toBe('welcome');
    const poll = await fetch(`http://127.0.0.1:${port}/live/poll?topics=a`, {
      headers: { authorization: token },
    });
    expect(poll.status).toBe(200);
  });

  it('refuses upgrades for other paths with a real 404, unless another upgrade listener owns them', async () => {
    fixture = await startExpress(options);
    const url = fixture.origin.replace('http', 'ws');
    const status = await new Promise<number | undefined>((resolve) => {
      const ws = new WebSocket(`${url}/elsewhere`);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode);
        ws.terminate();
      });
      ws.on('open', () => resolve(101));
      ws.on('error', () => resolve(undefined));
    });
    expect(status).toBe(404);

    // An app with its own upgrade handler registered first keeps its paths.
    const server: Server = createServer(express());
    const theirs = new (await import('ws')).WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      if (req.url === '/theirs') theirs.handleUpgrade(req, socket, head, (ws) => ws.send('theirs'));
    });
    const realtime = tidings(createHub(options));
    const attachment = realtime.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      attachment.close();
      theirs.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    const { port } = server.address() as AddressInfo;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/theirs`);
    closers.push(() => ws.terminate());
    const message = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
    expect(message).toBe('theirs');
  });
});
