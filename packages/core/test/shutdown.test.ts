import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket } from './support/fake-socket.ts';
import {
  advance,
  call,
  expectError,
  fakeStream,
  flush,
  headOf,
  makeHub,
  openWs,
  pollBody,
  request,
  useFakeClock,
} from './support/harness.ts';
import { start } from './support/pending.ts';
import { readSse } from './support/sse-reader.ts';

beforeEach(useFakeClock);

describe('close()', () => {
  it('closes WebSockets with 1001, ends SSE with a close event, answers long polls, then resolves', async () => {
    const hub = makeHub({ anonymous: true, sseRetryMs: 2500 });
    const socket = await openWs(hub, '?topics=a');
    const sse = readSse(await call(hub, 'sse?topics=a'));
    const stream = fakeStream();
    await hub.handle(request('sse?topics=a'), { stream: stream.port });
    const cursor = await headOf(hub);
    const waiting = start(hub, `long-poll?topics=a&cursor=${cursor}`);
    await flush();
    expect(hub.stats().connections).toEqual({ total: 4, ws: 1, sse: 2, longPoll: 1 });

    let resolved = false;
    const closing = hub.close().then(() => {
      resolved = true;
    });
    await flush();
    expect(socket.closed).toEqual({ code: 1001, reason: 'shutdown' });
    expect(sse.events.at(-1)).toEqual({
      id: '',
      event: 'close',
      data: JSON.stringify({ code: 'unavailable', retryMs: 2500 }),
    });
    expect(sse.done).toBe(true);
    expect(stream.chunks.at(-1)).toBe(
      `event: close\ndata: ${JSON.stringify({ code: 'unavailable', retryMs: 2500 })}\n\n`,
    );
    expect(stream.ended).toBe(true);
    expect(await pollBody(waiting.response!)).toEqual({ events: [], cursor });
    await closing;
    expect(resolved).toBe(true);
    expect(hub.stats().connections.total).toBe(0);
  });

  it('a long poll being answered at shutdown keeps what it has', async () => {
    const hub = makeHub({ anonymous: true });
    const waiting = start(hub, 'long-poll?topics=a');
    await flush();
    const id = await hub.publish('a', 'last words');
    await hub.close();
    const body = await pollBody((await waiting.promise)!);
    expect(body.events.map((e) => e.id)).toEqual([id]);
    expect(body.cursor).toBe(id);
  });

  it('refuses new requests and upgrades with 503 unavailable and Retry-After', async () => {
    const hub = makeHub({ anonymous: true, authorize: () => true, retryAfterS: 7 });
    await hub.close();
    for (const path of ['poll?topics=a', 'long-poll?topics=a', 'sse?topics=a']) {
      const response = await hub.handle(request(path));
      expect(response!.headers.get('retry-after')).toBe('7');
      await expectError(hub, response, 503, 'unavailable');
    }
    const post = await hub.handle(request('publish', { method: 'POST', body: '{"topic":"a","data":1}' }));
    await expectError(hub, post, 503, 'unavailable');
    const decision = await hub.upgrade(request('ws?topics=a'));
    expect(decision.accepted).toBe(false);
    if (!decision.accepted) {
      expect(decision.response.headers.get('retry-after')).toBe('7');
      await expectError(hub, decision.response, 503, 'unavailable');
    }
  });

  it('waits for WebSockets to finish their closing handshake, up to drainTimeoutMs', async () => {
    const hub = makeHub({ anonymous: true, drainTimeoutMs: 5_000 });
    const decision = await hub.upgrade(request('ws?topics=a'));
    if (!decision.accepted) throw new Error('refused');
    const socket = new FakeSocket({ autoClose: false });
    socket.handlers = decision.accept(socket.port);
    let resolved = false;
    const closing = hub.close().then(() => {
      resolved = true;
    });
    await advance(4_000);
    expect(socket.closed?.code).toBe(1001);
    expect(resolved).toBe(false);
    expect(hub.stats().connections.ws).toBe(1);
    await advance(1_000);
    await closing;
    expect(resolved).toBe(true);
    expect(hub.stats().connections.total).toBe(0);
  });

  it('resolves as soon as the last socket reports closed', async () => {
    const hub = makeHub({ anonymous: true, drainTimeoutMs: 60_000 });
    const decision = await hub.upgrade(request('ws?topics=a'));
    if (!decision.accepted) throw new Error('refused');
    const socket = new FakeSocket({ autoClose: false });
    socket.handlers = decision.accept(socket.port);
    let resolved = false;
    const closing = hub.close().then(() => {
      resolved = true;
    });
    await advance(100);
    expect(resolved).toBe(false);
    socket.handlers.closed();
    await closing;
    expect(resolved).toBe(true);
  });

  it('with no connections resolves at once and leaves no timer behind', async () => {
    const hub = makeHub({ anonymous: true });
    await hub.publish('a', 1);
    await hub.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an upgrade decided before close but accepted after it is closed with 1001 and leaks nothing', async () => {
    const hub = makeHub({ anonymous: true });
    const decision = await hub.upgrade(request('ws?topics=a'));
    if (!decision.accepted) throw new Error('refused');
    await hub.close();
    const socket = new FakeSocket();
    socket.handlers = decision.accept(socket.port);
    await flush();
    expect(socket.closed?.code).toBe(1001);
    expect(socket.ofType('welcome')).toEqual([]);
    expect(hub.stats()).toMatchObject({ connections: { total: 0 }, topics: 0 });
  });

  it('a second close() waits for the same drain', async () => {
    const hub = makeHub({ anonymous: true, drainTimeoutMs: 5_000 });
    const decision = await hub.upgrade(request('ws?topics=a'));
    if (!decision.accepted) throw new Error('refused');
    const socket = new FakeSocket({ autoClose: false });
    socket.handlers = decision.accept(socket.port);
    const first = hub.close();
    let secondResolved = false;
    const second = hub.close().then(() => {
      secondResolved = true;
    });
    await advance(1_000);
    expect(secondResolved).toBe(false);
    socket.handlers.closed();
    await Promise.all([first, second]);
    expect(secondResolved).toBe(true);
  });
});
