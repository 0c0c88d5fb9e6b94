import { beforeEach, describe, expect, it, vi } from 'vitest';
import { respond, toResponse, upgrade } from '../src/adapter.ts';
import type { Broker } from '../src/broker.ts';
import { createMemoryBroker } from '../src/index.ts';
import { FakeSocket } from './support/fake-socket.ts';
import type { PollBody } from './support/harness.ts';
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

/** The `close` event of an SSE log, parsed, with the `retry:` that came with it. */
function closeNotice(events: { event: string; data: string }[]): { code: string; retryMs: number } {
  const close = events.at(-1)!;
  expect(close.event).toBe('close');
  return JSON.parse(close.data) as { code: string; retryMs: number };
}

/** True for a delay a hub with `drainSpreadMs: spread` may hand out. */
const withinSpread = (ms: unknown, spread: number) =>
  Number.isInteger(ms) && (ms as number) >= 0 && (ms as number) < Math.max(spread, 1);

describe('close()', () => {
  it('tells every client its own delay: a WS close message then 1001, SSE retry: and close, long polls retryMs', async () => {
    const hub = makeHub({ anonymous: true, sseRetryMs: 2500, drainSpreadMs: 4000 });
    const socket = await openWs(hub, '?topics=a');
    const sse = readSse(await call(hub, 'sse?topics=a'));
    const stream = fakeStream();
    await respond(hub, request('sse?topics=a'), { stream: stream.port });
    const cursor = await headOf(hub);
    const waiting = start(hub, `long-poll?topics=a&cursor=${cursor}`);
    await flush();
    expect(hub.stats().connections).toEqual({ total: 4, ws: 1, sse: 2, longPoll: 1 });

    let resolved = false;
    const closing = hub.close().then(() => {
      resolved = true;
    });
    await flush();
    expect(socket.closed).toEqual({ code: 1001, reason: 'unavailable' });
    // The message comes last, right before the close.
    const notice = socket.messages().at(-1)!;
    expect(notice).toMatchObject({ type: 'close', code: 'unavailable' });
    expect(withinSpread(notice.retryMs, 4000)).toBe(true);
    const sseNotice = closeNotice(sse.events);
    expect(sseNotice.code).toBe('unavailable');
    expect(withinSpread(sseNotice.retryMs, 4000)).toBe(true);
    // `retry:` moves an EventSource's own reconnect delay to the same value.
    expect(sse.retries.at(-1)).toBe(sseNotice.retryMs);
    expect(sse.done).toBe(true);
    const last = stream.chunks.at(-1)!;
    expect(last).toMatch(/^retry: (\d+)\nevent: close\ndata: \{"code":"unavailable","retryMs":\1\}\n\n$/);
    expect(stream.ended).toBe(true);
    const answered = (await pollBody(waiting.response!)) as PollBody & { retryMs?: number };
    expect(answered).toMatchObject({ events: [], cursor });
    expect(withinSpread(answered.retryMs, 4000)).toBe(true);
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

  it('refuses new requests and upgrades with 503 unavailable and a Retry-After within the spread', async () => {
    const hub = makeHub({ anonymous: true, authorize: () => true, drainSpreadMs: 7000 });
    await hub.close();
    const seconds = (response: Response) => Number(response.headers.get('retry-after'));
    for (const path of ['poll?topics=a', 'long-poll?topics=a']) {
      const response = await hub.handle(request(path));
      expect(seconds(response)).toBeGreaterThanOrEqual(0);
      expect(seconds(response)).toBeLessThanOrEqual(7);
      await expectError(hub, response, 503, 'unavailable');
    }
    const post = await hub.handle(request('publish', { method: 'POST', body: '{"topic":"a","data":1}' }));
    await expectError(hub, post, 503, 'unavailable');
    const decision = await upgrade(hub, request('ws?topics=a'));
    expect(decision.accepted).toBe(false);
    if (!decision.accepted) {
      expect(seconds(toResponse(decision.answer))).toBeLessThanOrEqual(7);
      await expectError(hub, toResponse(decision.answer), 503, 'unavailable');
    }
  });

  it('answers an SSE request while closing with a stream that says close and retry:, which an EventSource follows', async () => {
    const hub = makeHub({ anonymous: true, drainSpreadMs: 3000 });
    await hub.close();
    const response = await call(hub, 'sse?topics=a');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const sse = readSse(response);
    await flush();
    expect(sse.done).toBe(true);
    const notice = closeNotice(sse.events);
    expect(notice.code).toBe('unavailable');
    expect(withinSpread(notice.retryMs, 3000)).toBe(true);
    expect(sse.retries).toEqual([notice.retryMs]);
    // Through a direct stream port too, and nothing is left open.
    const stream = fakeStream();
    expect(await respond(hub, request('sse?topics=a'), { stream: stream.port })).toBeUndefined();
    expect(stream.status).toBe(200);
    expect(stream.chunks.join('')).toMatch(/^retry: \d+\nevent: close\n/);
    expect(stream.ended).toBe(true);
    expect(hub.stats().connections.total).toBe(0);
  });

  it('spreads the delays over drainSpreadMs: each client its own, across the window', async () => {
    const spread = 4000;
    const hub = makeHub({ anonymous: true, drainSpreadMs: spread, maxConnectionsPerIp: 1000 });
    const sockets: FakeSocket[] = [];
    for (let i = 0; i < 100; i++) sockets.push(await openWs(hub, '?topics=a'));
    const polls = Array.from({ length: 100 }, () => start(hub, 'long-poll?topics=a'));
    await flush();
    await hub.close();
    const wsDelays = sockets.map((s) => s.ofType('close')[0]!.retryMs as number);
    const pollDelays = await Promise.all(
      polls.map(async (p) => ((await p.promise!.then((r) => r!.json())) as { retryMs: number }).retryMs),
    );
    const refusedSeconds = await Promise.all(
      Array.from({ length: 100 }, async () =>
        Number((await hub.handle(request('poll?topics=a'))).headers.get('retry-after')),
      ),
    );
    for (const delays of [wsDelays, pollDelays]) {
      expect(delays.every((ms) => withinSpread(ms, spread))).toBe(true);
      // 100 uniform draws: a quarter of the window at either end is empty with probability 0.75^100.
      expect(Math.min(...delays)).toBeLessThan(spread / 4);
      expect(Math.max(...delays)).toBeGreaterThan((spread * 3) / 4);
      expect(new Set(delays).size).toBeGreaterThan(50);
    }
    expect(new Set(refusedSeconds).size).toBeGreaterThanOrEqual(3);
    expect(refusedSeconds.every((s) => s >= 0 && s <= spread / 1000)).toBe(true);
  });

  it('drainSpreadMs: 0 tells everyone to come back at once', async () => {
    const hub = makeHub({ anonymous: true, drainSpreadMs: 0 });
    const socket = await openWs(hub, '?topics=a');
    const waiting = start(hub, 'long-poll?topics=a');
    await flush();
    await hub.close();
    expect(socket.ofType('close')).toEqual([{ type: 'close', code: 'unavailable', retryMs: 0 }]);
    expect(((await waiting.promise!.then((r) => r!.json())) as { retryMs: number }).retryMs).toBe(0);
    expect((await hub.handle(request('poll?topics=a'))).headers.get('retry-after')).toBe('0');
  });

  it('terminates a WebSocket that has not finished its closing handshake at drainTimeoutMs', async () => {
    const hub = makeHub({ anonymous: true, drainTimeoutMs: 5_000 });
    const stuck = await openWs(hub, '?topics=a', { autoClose: false });
    const closing = hub.close();
    await advance(4_000);
    expect(stuck.closed?.code).toBe(1001);
    expect(stuck.terminated).toBe(false);
    await advance(1_000);
    await closing;
    // Dropped, not forgotten: a socket left open would keep the process alive.
    expect(stuck.terminated).toBe(true);
    expect(hub.stats().connections.total).toBe(0);
  });

  it('without port.terminate, closes the stuck socket again and frees its slot at drainTimeoutMs', async () => {
    const hub = makeHub({ anonymous: true, drainTimeoutMs: 5_000 });
    const stuck = await openWs(hub, '?topics=a', { autoClose: false, terminate: false });
    const closing = hub.close();
    await advance(5_000);
    await closing;
    expect(stuck.closes).toEqual([
      { code: 1001, reason: 'unavailable' },
      { code: 1001, reason: 'unavailable' },
    ]);
    expect(hub.stats().connections.total).toBe(0);
  });

  it('waits for WebSockets to finish their closing handshake, up to drainTimeoutMs', async () => {
    const hub = makeHub({ anonymous: true, drainTimeoutMs: 5_000 });
    const decision = await upgrade(hub, request('ws?topics=a'));
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
    const decision = await upgrade(hub, request('ws?topics=a'));
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
    const decision = await upgrade(hub, request('ws?topics=a'));
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
    const decision = await upgrade(hub, request('ws?topics=a'));
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

describe('readiness', () => {
  it('hub.ready and GET {path}/ready say 200 while the hub takes connections, 503 from close() on', async () => {
    const hub = makeHub({ anonymous: true, drainTimeoutMs: 5_000 });
    expect(hub.ready).toBe(true);
    const ready = await call(hub, 'ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
    expect((await call(hub, 'ready', { method: 'HEAD' })).status).toBe(200);
    expect((await call(hub, 'ready', { method: 'POST' })).status).toBe(405);
    // Draining, not dead: a stuck socket holds the drain open, and the probe already fails.
    await openWs(hub, '?topics=a', { autoClose: false });
    const closing = hub.close();
    expect(hub.ready).toBe(false);
    const draining = await call(hub, 'ready');
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ ready: false });
    await advance(5_000);
    await closing;
    expect((await call(hub, 'ready')).status).toBe(503);
  });

  it('needs no credential', async () => {
    const hub = makeHub({ authenticate: () => null });
    expect((await call(hub, 'poll?topics=a')).status).toBe(401);
    expect((await call(hub, 'ready')).status).toBe(200);
  });
});

describe('a long poll answered by the shutdown', () => {
  it('still names the topics its replay found lost when the hub closes before the answer went out', async () => {
    // The long poll's first look at the log found nothing new (so it waits, as a connection), and
    // the replay that starts the connection, a moment later, finds a topic that lost events: a
    // shared broker's log moves between the two reads.
    const inner = createMemoryBroker({ retentionCount: 1 });
    for (let i = 1; i <= 3; i++) await inner.publish({ topic: 'a', event: 'message', data: `${i}` });
    const { epoch } = inner.head();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let reads = 0;
    const broker: Broker = {
      publish: (input) => inner.publish(input),
      subscribe: (listener) => inner.subscribe(listener),
      head: () => ({ epoch, seq: 2 }),
      async readAfter(topics, e, after) {
        if (reads++ === 0) return { events: [] };
        await gate;
        return inner.readAfter(topics, e, after);
      },
    };
    const hub = makeHub({ anonymous: true, broker });
    const waiting = start(hub, `long-poll?topics=a&cursor=${epoch}-1`);
    await flush();
    expect(hub.stats().connections.longPoll).toBe(1);
    open();
    // After the replay's promises, before the turn in which its answer would go out.
    setImmediate(() => void hub.close());
    const body = (await (await waiting.promise)!.json()) as PollBody & { resetTopics?: string[] };
    expect(body.events.map((e) => e.id)).toEqual([`${epoch}-3`]);
    expect(body.resetTopics).toEqual(['a']);
  });
});
