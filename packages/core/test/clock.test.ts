import { describe, expect, it } from 'vitest';
import { subscriberCount } from '../src/adapter.ts';
import { createHub, createMemoryBroker, signJwt } from '../src/index.ts';
import { call, flush, headOf, makeHub, openWs, pollBody, request, until } from './support/harness.ts';
import { start } from './support/pending.ts';
import { readSse } from './support/sse-reader.ts';
import { createStepClock } from './support/step-clock.ts';

// Real timers throughout: only the hub's own clock is stepped, so whatever moves, moved through it.
// A date long past makes a clock that fell back to `Date.now()` disagree loudly.
const START = Date.UTC(2001, 0, 1);
const SECRET = 'a-secret-of-at-least-thirty-two-bytes!';

describe('the clock option', () => {
  it('is validated at createHub: five functions, or a TypeError', () => {
    expect(() => createHub({ anonymous: true, clock: { now: () => 0 } as never })).toThrow(
      /clock must have now, setTimeout, clearTimeout, setInterval and clearInterval/,
    );
    expect(() => createHub({ anonymous: true, clock: 'fast' as never })).toThrow(TypeError);
    const clock = createStepClock(START);
    expect(makeHub({ anonymous: true, clock }).options.clock).toBe(clock);
  });

  it('times long polls: nothing answers while real time passes, the answer comes when the clock moves', async () => {
    // Off the tick grid: the deadline falls inside a tick's bucket and is still met when due.
    const clock = createStepClock(START + 300);
    const hub = makeHub({ anonymous: true, clock });
    const cursor = await headOf(hub);
    const waiting = start(hub, `long-poll?topics=a&cursor=${cursor}&timeout=5`);
    await until(() => hub.stats().connections.longPoll === 1, 'the long poll to wait');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await flush();
    expect(waiting.settled).toBe(false);
    clock.advance(4900);
    await flush();
    expect(waiting.settled).toBe(false);
    clock.advance(100);
    expect(await pollBody((await waiting.promise)!)).toEqual({ events: [], cursor });
    expect(hub.stats().connections.total).toBe(0);
    // No connection left: the shared timer stopped.
    expect(clock.pending).toBe(0);
  });

  it('times heartbeats: a ping after one interval, a silent peer dropped after the second', async () => {
    const clock = createStepClock(START);
    const hub = makeHub({ anonymous: true, clock, heartbeatMs: 10_000, sseHeartbeatMs: 10_000 });
    const socket = await openWs(hub, '?topics=a', { ping: true });
    const sse = readSse(await call(hub, 'sse?topics=a'));
    await flush();
    clock.advance(9_999);
    await flush();
    expect(socket.pings).toBe(0);
    expect(sse.comments).not.toContain('ping');
    clock.advance(1);
    expect(socket.pings).toBe(1);
    await flush();
    expect(sse.comments).toContain('ping');
    clock.advance(10_000);
    expect(socket.terminated).toBe(true);
    expect(hub.stats().connections).toMatchObject({ ws: 0, sse: 1 });
  });

  it('checks JWT expiry against it, at the door and on open connections', async () => {
    const clock = createStepClock(START);
    // Heartbeats out of the way: a fake socket never answers them.
    const hub = makeHub({
      jwt: { secret: SECRET, leewayMs: 0 },
      tokenInQuery: true,
      clock,
      heartbeatMs: 3_600_000,
    });
    // Valid for a minute of the hub's time, and long expired by the wall clock.
    const token = await signJwt({ sub: 'u', exp: START / 1000 + 60 }, SECRET);
    const socket = await openWs(hub, `?topics=a&token=${token}`);
    expect(socket.ofType('welcome')).toHaveLength(1);
    clock.advance(59_000);
    await flush();
    expect(socket.isClosed).toBe(false);
    clock.advance(1_000);
    await flush();
    expect(socket.closed).toEqual({ code: 4401, reason: 'token_expired' });
    const refused = await call(hub, `poll?topics=a&token=${token}`);
    expect(refused.status).toBe(401);
  });

  it('times the drain: close() waits for a socket that never confirms until the clock passes drainTimeoutMs', async () => {
    const clock = createStepClock(START);
    const hub = createHub({ anonymous: true, clock, drainTimeoutMs: 3000 });
    await openWs(hub, '?topics=a', { autoClose: false });
    let closed = false;
    const closing = hub.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await flush();
    expect(closed).toBe(false);
    clock.advance(3000);
    await closing;
    expect(hub.stats().connections.total).toBe(0);
  });

  it('counts publish rates per second of its time', async () => {
    const clock = createStepClock(START);
    const hub = makeHub({ anonymous: true, authorize: () => true, clock, maxHttpPublishesPerSecond: 2 });
    const publish = () =>
      hub.handle(
        request('publish', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ topic: 'a', data: 1 }),
        }),
        { clientAddress: '10.0.0.1' },
      );
    expect((await publish()).status).toBe(202);
    expect((await publish()).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await publish()).status).toBe(429);
    clock.advance(1000);
    expect((await publish()).status).toBe(202);
  });

  it('ages the in-memory log: events older than retentionMs of its time are gone', async () => {
    const clock = createStepClock(START);
    const hub = makeHub({ anonymous: true, clock, retentionMs: 60_000 });
    const cursor = await headOf(hub);
    const id = await hub.publish('a', 1);
    expect((await pollBody(await call(hub, `poll?topics=a&cursor=${cursor}`))).events[0]!.id).toBe(id);
    clock.advance(60_001);
    const after = await pollBody(await call(hub, `poll?topics=a&cursor=${cursor}`));
    expect(after.events).toEqual([]);
    expect(after).toMatchObject({ resetTopics: ['a'] });
  });

  it('gives the memory broker its publish times', () => {
    const clock = createStepClock(START);
    const broker = createMemoryBroker({ clock });
    const record = broker.publish({ topic: 'a', event: 'message', data: '1' }) as { time: number };
    expect(record.time).toBe(START);
  });
});

describe('subscriberCount', () => {
  it('counts the connections subscribed to a topic on this hub, by transport, as they come and go', async () => {
    const hub = makeHub({ anonymous: true });
    expect(subscriberCount(hub, 'a')).toBe(0);
    const socket = await openWs(hub, '?topics=a,b');
    readSse(await call(hub, 'sse?topics=a'));
    const cursor = await headOf(hub);
    const waiting = start(hub, `long-poll?topics=b&cursor=${cursor}`);
    await until(() => subscriberCount(hub, 'b') === 2, 'the long poll on b');
    expect(subscriberCount(hub, 'a')).toBe(2);
    socket.handlers!.closed();
    expect(subscriberCount(hub, 'a')).toBe(1);
    expect(subscriberCount(hub, 'b')).toBe(1);
    waiting.abort();
    await until(() => subscriberCount(hub, 'b') === 0, 'the aborted long poll to go');
    expect(() => subscriberCount({} as never, 'a')).toThrow(/createHub/);
  });
});
