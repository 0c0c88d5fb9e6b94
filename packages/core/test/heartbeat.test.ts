import { beforeEach, describe, expect, it, vi } from 'vitest';
import { advance, call, flush, makeHub, openWs, useFakeClock } from './support/harness.ts';
import { readSse } from './support/sse-reader.ts';

beforeEach(useFakeClock);

describe('SSE heartbeat', () => {
  it('sends a ": ping" comment every sseHeartbeatMs, and nothing in between', async () => {
    const hub = makeHub({ anonymous: true, sseHeartbeatMs: 15_000 });
    const sse = readSse(await call(hub, 'sse?topics=a'));
    await flush();
    const opening = sse.comments.length;
    await advance(14_000);
    expect(sse.comments.length).toBe(opening);
    await advance(1_000);
    expect(sse.comments.slice(opening)).toEqual(['ping']);
    expect(sse.text.endsWith(': ping\n\n')).toBe(true);
    await advance(15_000);
    expect(sse.comments.slice(opening)).toEqual(['ping', 'ping']);
    expect(sse.events).toEqual([]);
    expect(hub.stats().connections.sse).toBe(1);
  });

  it('pings every open stream from the one shared timer', async () => {
    const hub = makeHub({ anonymous: true, sseHeartbeatMs: 5_000 });
    const streams = [];
    for (let i = 0; i < 3; i++) streams.push(readSse(await call(hub, `sse?topics=t${i}`)));
    await advance(5_000);
    for (const sse of streams) expect(sse.comments.filter((c) => c === 'ping').length).toBe(1);
  });
});

describe('WebSocket heartbeat', () => {
  it('uses protocol ping frames when the port has them, and a pong keeps the peer alive', async () => {
    const hub = makeHub({ anonymous: true, heartbeatMs: 10_000 });
    const socket = await openWs(hub, '?topics=a', { ping: true });
    await advance(9_000);
    expect(socket.pings).toBe(0);
    await advance(1_000);
    expect(socket.pings).toBe(1);
    expect(socket.ofType('ping')).toEqual([]);
    for (let i = 2; i <= 5; i++) {
      socket.handlers!.pong();
      await advance(10_000);
      expect(socket.pings).toBe(i);
    }
    expect(socket.isClosed).toBe(false);
    expect(hub.stats().connections.ws).toBe(1);
  });

  it('sends {"type":"ping"} text when the port cannot ping, and a {"type":"pong"} answers it', async () => {
    const hub = makeHub({ anonymous: true, heartbeatMs: 10_000 });
    const socket = await openWs(hub, '?topics=a');
    await advance(10_000);
    expect(socket.ofType('ping')).toEqual([{ type: 'ping' }]);
    socket.send({ type: 'pong' });
    await advance(10_000);
    expect(socket.ofType('ping').length).toBe(2);
    expect(socket.isClosed).toBe(false);
  });

  it('any message from the peer counts as a sign of life', async () => {
    const hub = makeHub({ anonymous: true, heartbeatMs: 10_000 });
    const socket = await openWs(hub, '?topics=a');
    await advance(10_000);
    socket.send({ type: 'ping' });
    await flush();
    expect(socket.ofType('pong')).toEqual([{ type: 'pong' }]);
    await advance(10_000);
    expect(socket.isClosed).toBe(false);
  });

  it('terminates a peer that never answers within two intervals and frees its slot', async () => {
    const hub = makeHub({ anonymous: true, heartbeatMs: 10_000 });
    const socket = await openWs(hub, '?topics=a', { ping: true });
    await advance(10_000);
    expect(socket.pings).toBe(1);
    expect(socket.terminated).toBe(false);
    await advance(10_000);
    expect(socket.terminated).toBe(true);
    expect(hub.stats().connections.total).toBe(0);
    expect(hub.stats().topics).toBe(0);
  });

  it('closes a dead peer with 1001 when the port cannot terminate', async () => {
    const hub = makeHub({ anonymous: true, heartbeatMs: 10_000 });
    const socket = await openWs(hub, '?topics=a', { terminate: false });
    await advance(20_000);
    expect(socket.closed?.code).toBe(1001);
    expect(hub.stats().connections.total).toBe(0);
  });

  it('a live peer among dead ones keeps its connection', async () => {
    const hub = makeHub({ anonymous: true, heartbeatMs: 10_000 });
    const dead = await openWs(hub, '?topics=a', { ping: true });
    const live = await openWs(hub, '?topics=a', { ping: true });
    await advance(10_000);
    live.handlers!.pong();
    await advance(10_000);
    expect(dead.terminated).toBe(true);
    expect(live.isClosed).toBe(false);
    const id = await hub.publish('a', 1);
    expect(live.eventIds()).toEqual([id]);
    expect(hub.stats().connections.ws).toBe(1);
  });

  it('the shared timer stops when the last connection goes', async () => {
    const hub = makeHub({ anonymous: true, heartbeatMs: 10_000 });
    const socket = await openWs(hub, '?topics=a');
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    socket.handlers!.closed();
    await flush();
    expect(hub.stats().connections.total).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
