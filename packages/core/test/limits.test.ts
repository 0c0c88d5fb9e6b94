import { beforeEach, describe, expect, it } from 'vitest';
import { respond, toResponse, upgrade } from '../src/adapter.ts';
import { type AnyHub, signJwt } from '../src/index.ts';
import {
  advance,
  call,
  expectError,
  fakeStream,
  flush,
  makeHub,
  openWs,
  pollBody,
  request,
  until,
  useFakeClock,
} from './support/harness.ts';
import { start } from './support/pending.ts';
import { readSse } from './support/sse-reader.ts';

beforeEach(useFakeClock);

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';

/** Asserts a 429 too_many_connections with Retry-After. */
async function expectTooMany(hub: AnyHub, response: Response | undefined): Promise<void> {
  const before = hub.stats().connections.total;
  expect(response!.status).toBe(429);
  expect(response!.headers.get('retry-after')).toBe(String(hub.options.retryAfterMs / 1000));
  const body = (await response!.json()) as { error: { code: string } };
  expect(body.error.code).toBe('too_many_connections');
  expect(hub.stats().connections.total).toBe(before);
}

describe('maxConnections (all transports, a waiting long poll counts)', () => {
  it('refuses the N+1th connection of any transport with 429 and Retry-After', async () => {
    const hub = makeHub({ anonymous: true, maxConnections: 3 });
    await openWs(hub, '?topics=a');
    readSse(await call(hub, 'sse?topics=a'));
    const waiting = start(hub, 'long-poll?topics=a');
    await flush();
    expect(hub.stats().connections.total).toBe(3);

    await expectTooMany(hub, await hub.handle(request('sse?topics=a')));
    await expectTooMany(hub, await hub.handle(request('long-poll?topics=a')));
    const decision = await upgrade(hub, request('ws?topics=a'));
    expect(decision.accepted).toBe(false);
    if (!decision.accepted) await expectTooMany(hub, toResponse(decision.answer));
    // A short poll is a request, not a connection: it is still answered.
    expect((await call(hub, 'poll?topics=a')).status).toBe(200);
    expect(waiting.settled).toBe(false);
  });

  it('an aborted long poll frees its slot at once', async () => {
    const hub = makeHub({ anonymous: true, maxConnections: 1 });
    const waiting = start(hub, 'long-poll?topics=a');
    await flush();
    await expectTooMany(hub, await hub.handle(request('sse?topics=a')));
    waiting.abort();
    const sse = await call(hub, 'sse?topics=a');
    expect(sse.status).toBe(200);
    expect(hub.stats().connections.sse).toBe(1);
  });

  it('an answered long poll, a closed socket and a cancelled stream each free their slot', async () => {
    const hub = makeHub({ anonymous: true, maxConnections: 1 });
    const waiting = start(hub, 'long-poll?topics=a');
    await flush();
    await hub.publish('a', 1);
    await advance(0);
    await pollBody((await waiting.promise)!);
    const socket = await openWs(hub, '?topics=a');
    await expectTooMany(hub, await hub.handle(request('long-poll?topics=a')));
    socket.handlers!.closed();
    const sse = readSse(await call(hub, 'sse?topics=a'));
    await flush();
    await sse.cancel();
    expect((await upgrade(hub, request('ws?topics=a'))).accepted).toBe(true);
  });
});

describe('maxConnectionsPerUser (by the principal id, the JWT sub)', () => {
  it('refuses the N+1th connection of one user, not of another', async () => {
    const hub = makeHub({ jwt: { secret: SECRET }, maxConnectionsPerUser: 2 });
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const ann = await signJwt({ sub: 'ann', exp }, SECRET);
    const bob = await signJwt({ sub: 'bob', exp }, SECRET);
    const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    await openWs(hub, '?topics=a', { init: auth(ann) });
    const held = start(hub, 'long-poll?topics=a', auth(ann));
    await until(() => hub.stats().connections.longPoll === 1, 'the long poll to be admitted');
    await expectTooMany(hub, await hub.handle(request('sse?topics=a', auth(ann))));
    const decision = await upgrade(hub, request('ws?topics=a', auth(ann)));
    expect(decision.accepted).toBe(false);
    expect((await call(hub, 'sse?topics=a', auth(bob))).status).toBe(200);
    held.abort();
    expect((await call(hub, 'sse?topics=a', auth(ann))).status).toBe(200);
    expect(hub.stats().connections.total).toBe(3);
  });

  it('anonymous principals have no id and are not counted per user', async () => {
    const hub = makeHub({ anonymous: true, maxConnectionsPerUser: 1 });
    await openWs(hub, '?topics=a');
    await openWs(hub, '?topics=a');
    expect(hub.stats().connections.ws).toBe(2);
  });
});

describe('maxConnectionsPerIp (by the adapter-provided clientAddress)', () => {
  it('refuses the N+1th connection from one address, not from another', async () => {
    const hub = makeHub({ anonymous: true, maxConnectionsPerIp: 2 });
    await openWs(hub, '?topics=a', { clientAddress: '10.0.0.1' });
    const held = start(hub, 'long-poll?topics=a', {}, '10.0.0.1');
    await flush();
    await expectTooMany(hub, await hub.handle(request('sse?topics=a'), { clientAddress: '10.0.0.1' }));
    const decision = await upgrade(hub, request('ws?topics=a'), { clientAddress: '10.0.0.1' });
    expect(decision.accepted).toBe(false);
    await openWs(hub, '?topics=a', { clientAddress: '10.0.0.2' });
    // Without an address (the adapter could not tell) the per-address limit does not apply.
    await openWs(hub, '?topics=a');
    held.abort();
    await openWs(hub, '?topics=a', { clientAddress: '10.0.0.1' });
    expect(hub.stats().connections.ws).toBe(4);
  });
});

describe('maxTopicsPerConnection', () => {
  it('refuses more topics than allowed with 400 on every route', async () => {
    const hub = makeHub({ anonymous: true, maxTopicsPerConnection: 2 });
    for (const route of ['poll', 'long-poll', 'sse']) {
      await expectError(hub, await hub.handle(request(`${route}?topics=a,b,c`)), 400, 'bad_request');
    }
    const decision = await upgrade(hub, request('ws?topics=a,b,c'));
    expect(decision.accepted).toBe(false);
    expect((await call(hub, 'poll?topics=a,b')).status).toBe(200);
    await openWs(hub, '?topics=a,b');
  });
});

describe('slow consumers', () => {
  it('a WebSocket whose bufferedAmount passes maxBufferedBytes is closed with 1013, counted as dropped, and the others keep receiving', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 1024 });
    const slow = await openWs(hub, '?topics=a');
    const fast = await openWs(hub, '?topics=a');
    slow.buffered = 4096;
    const first = await hub.publish('a', 1);
    const second = await hub.publish('a', 2);
    expect(slow.closed).toEqual({ code: 1013, reason: 'slow_consumer' });
    expect(slow.eventIds()).toEqual([]);
    expect(fast.eventIds()).toEqual([first, second]);
    await flush();
    expect(hub.stats()).toMatchObject({ dropped: 1, connections: { total: 1, ws: 1 } });
  });

  it('an SSE stream nobody reads is ended with a close event once over maxBufferedBytes; others keep receiving', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 2048, sseRetryMs: 1500 });
    const stalled = await call(hub, 'sse?topics=a');
    const reading = readSse(await call(hub, 'sse?topics=a'));
    await flush();
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      ids.push(await hub.publish('a', 'x'.repeat(200)));
      await flush();
    }
    expect(hub.stats().dropped).toBe(1);
    expect(hub.stats().connections.sse).toBe(1);
    expect(reading.events.map((e) => e.id)).toEqual(ids);
    // The stalled client, reading at last, finds what it got and then the reason it was dropped.
    const late = readSse(stalled);
    await flush();
    expect(late.done).toBe(true);
    const last = late.events.at(-1)!;
    expect(last.event).toBe('close');
    expect(JSON.parse(last.data)).toEqual({ code: 'slow_consumer', retryMs: 1500 });
    const got = late.events.filter((e) => e.event !== 'close').map((e) => e.id);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(ids.slice(0, got.length));
  });

  it('through a StreamPort: dropped when its bufferedAmount passes the limit', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 1000 });
    const stream = fakeStream();
    await respond(hub, request('sse?topics=a'), { stream: stream.port });
    const first = await hub.publish('a', 1);
    stream.buffered = 5000;
    await hub.publish('a', 2);
    const text = stream.chunks.join('');
    expect(text).toContain(`id: ${first}\n`);
    expect(
      text.endsWith(`event: close\ndata: {"code":"slow_consumer","retryMs":${hub.options.sseRetryMs}}\n\n`),
    ).toBe(true);
    expect(stream.ended).toBe(true);
    expect(hub.stats()).toMatchObject({ dropped: 1, connections: { total: 0 } });
  });

  it('a dropped SSE client resumes from its cursor and loses nothing retained', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 1000 });
    const stream = fakeStream();
    await respond(hub, request('sse?topics=a'), { stream: stream.port });
    const first = await hub.publish('a', 1);
    stream.buffered = 5000;
    const missed = [await hub.publish('a', 2), await hub.publish('a', 3)];
    const again = readSse(await call(hub, 'sse?topics=a', { headers: { 'last-event-id': first } }));
    await flush();
    expect(again.events.map((e) => e.id)).toEqual(missed);
  });
});
