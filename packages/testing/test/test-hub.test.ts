import { signJwt } from '@tidings/core';
import { serve } from '@tidings/node';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
// By path, as in client-end-to-end.test.ts: a devDependency on the client would be a workspace cycle.
import { type Client, type ClientEvents, createClient } from '../../client/src/index.ts';
import { createManualClock, createRecorder, createTestHub, type TestHub } from '../src/index.ts';
import { closeAll, track } from './support/setup.ts';

afterEach(closeAll);

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';

/** A test hub served on 127.0.0.1 (port 0) by `serve()`, both closed after the test. */
async function served(hub: TestHub = createTestHub()) {
  const server = track(await serve(hub));
  return { hub, url: server.url, wsUrl: server.url.replace('http', 'ws') };
}

function once<E extends keyof ClientEvents>(
  client: Client,
  name: E,
): Promise<Parameters<ClientEvents[E]>[0]> {
  return new Promise((resolve) => {
    const off = client.on(name, ((arg: Parameters<ClientEvents[E]>[0]) => {
      off();
      resolve(arg);
    }) as ClientEvents[E]);
  });
}

function client(url: string, transport: 'ws' | 'sse' | 'long-poll', topics = ['notes']): Client {
  return track(
    createClient({
      url,
      topics,
      transports: [transport],
      sharedConnection: false,
      reconnectDelayMs: 20,
      maxReconnectDelayMs: 50,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    }),
  );
}

/** A raw `ws` socket that records the JSON messages and protocol pings it gets. */
async function rawSocket(url: string, options: { autoPong?: boolean } = {}) {
  const socket = new WebSocket(url, { autoPong: options.autoPong ?? true });
  track({ close: () => socket.terminate() });
  const messages: { type: string }[] = [];
  let pings = 0;
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const w of [...waiters]) w();
  };
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    changed();
  });
  socket.on('ping', () => {
    pings++;
    changed();
  });
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  const until = (check: () => boolean) =>
    new Promise<void>((resolve) => {
      const test = () => {
        if (!check()) return;
        waiters.delete(test);
        resolve();
      };
      waiters.add(test);
      test();
    });
  await until(() => messages.some((m) => m.type === 'welcome'));
  return {
    socket,
    closed,
    get pings() {
      return pings;
    },
    until,
    /** A JSON ping answered: everything sent before it on this socket has reached the hub. */
    async roundTrip() {
      const pongs = messages.filter((m) => m.type === 'pong').length;
      socket.send(JSON.stringify({ type: 'ping' }));
      await until(() => messages.filter((m) => m.type === 'pong').length > pongs);
    },
  };
}

describe('createTestHub served by serve()', () => {
  for (const transport of ['ws', 'sse', 'long-poll'] as const) {
    it(`counts a real ${transport} client's subscription and logs what it gets`, async () => {
      const { hub, url } = await served();
      const c = client(url, transport);
      const recorder = createRecorder();
      recorder.attach(c);
      await hub.waitForSubscribers('notes', 1);
      expect(hub.subscribers('notes')).toBe(1);
      expect(hub.subscribers('other')).toBe(0);
      await hub.publish('notes', { text: 'one' });
      await hub.publish('other', 1);
      await recorder.waitFor(1);
      recorder.assertComplete({ notes: hub.ids('notes') });
      expect(hub.log).toEqual([
        { id: hub.ids()[0], topic: 'notes', event: 'message', data: { text: 'one' }, time: hub.clock.now() },
        { id: hub.ids()[1], topic: 'other', event: 'message', data: 1, time: hub.clock.now() },
      ]);
    });
  }

  it('rejects waitForSubscribers after its timeout, saying how many there were', async () => {
    const hub = track(createTestHub());
    await expect(hub.waitForSubscribers('nobody', 2, { timeoutMs: 30 })).rejects.toThrow(
      'waitForSubscribers timed out after 30 ms: 0 of 2 connections on nobody',
    );
    expect(() => hub.waitForSubscribers('a', -1)).toThrow(TypeError);
  });

  it('answers a waiting long poll only when its clock passes the timeout', async () => {
    const { hub, url } = await served();
    const cursor = (await (await fetch(`${url}/poll?topics=a`)).json()).cursor;
    let answered = false;
    const poll = fetch(`${url}/long-poll?topics=a&cursor=${cursor}&timeout=25`).then((r) => {
      answered = true;
      return r.json();
    });
    await hub.waitForSubscribers('a', 1);
    // Real time passes; the hub's does not.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    await hub.clock.advance(24_000);
    expect(answered).toBe(false);
    await hub.clock.advance(1_000);
    expect(await poll).toEqual({ events: [], cursor });
  });

  it('pings on advance; a peer that answered survives the next, a silent one is dropped', async () => {
    const { hub, wsUrl } = await served(createTestHub({ heartbeatMs: 10_000 }));
    const healthy = await rawSocket(`${wsUrl}/ws?topics=a`);
    const silent = await rawSocket(`${wsUrl}/ws?topics=a`, { autoPong: false });
    await hub.clock.advance(10_000);
    await healthy.until(() => healthy.pings === 1);
    await silent.until(() => silent.pings === 1);
    // The healthy socket's pong went out before this round trip's ping: the hub has seen it.
    await healthy.roundTrip();
    // A JSON ping is a sign of life too: the silent peer must stay silent.
    await hub.clock.advance(10_000);
    expect(await silent.closed).toBe(1006);
    expect(healthy.socket.readyState).toBe(WebSocket.OPEN);
    expect(hub.stats().connections.ws).toBe(1);
  });

  it('expires tokens by its clock: a token good for a minute closes the socket when a minute has passed', async () => {
    const { hub, wsUrl } = await served(
      createTestHub({ jwt: { secret: SECRET, leewayMs: 0 }, tokenInQuery: true }),
    );
    const exp = Math.floor(hub.clock.now() / 1000) + 60;
    const socket = await rawSocket(`${wsUrl}/ws?topics=a&token=${await signJwt({ sub: 'u', exp }, SECRET)}`);
    await hub.clock.advance(exp * 1000 - hub.clock.now() - 1);
    await socket.roundTrip();
    expect(socket.socket.readyState).toBe(WebSocket.OPEN);
    // The hub looks at deadlines once per tickMs (default 1000).
    await hub.clock.advance(hub.options.tickMs);
    expect(await socket.closed).toBe(4401);
  });

  it('ages and trims the log with the retention options, by its clock', async () => {
    const hub = track(createTestHub({ retentionCount: 2, retentionMs: 60_000 }));
    const head = (await (await hub.handle(new Request('http://t/realtime/poll?topics=a'))).json()).cursor;
    const poll = async (topics: string) =>
      (await hub.handle(new Request(`http://t/realtime/poll?topics=${topics}&cursor=${head}`))).json();
    for (let i = 0; i < 3; i++) await hub.publish('a', i);
    await hub.publish('b', 'kept');
    expect(await poll('a')).toMatchObject({ events: [{ data: 1 }, { data: 2 }], resetTopics: ['a'] });
    await hub.clock.advance(60_001);
    expect(await poll('b')).toMatchObject({ events: [], resetTopics: ['b'] });
  });
});

describe('testHub.restart', () => {
  for (const transport of ['ws', 'sse', 'long-poll'] as const) {
    it(`over ${transport}: a new epoch, so the client resumes with a reset, and serves it on`, async () => {
      const { hub, url } = await served();
      const c = client(url, transport);
      const recorder = createRecorder();
      recorder.attach(c);
      await hub.waitForSubscribers('notes', 1);
      await hub.publish('notes', 'before');
      await recorder.waitFor(1);
      const epoch = hub.epoch;
      const reset = once(c, 'reset');
      await hub.restart();
      expect(hub.restarts).toBe(1);
      expect(hub.epoch).not.toBe(epoch);
      await reset;
      await hub.waitForSubscribers('notes', 1);
      await hub.publish('notes', 'after');
      await recorder.waitFor(2);
      recorder.assertComplete(hub.log);
      expect(recorder.resets).toBe(1);
      expect(recorder.events.map((e) => e.data)).toEqual(['before', 'after']);
    });
  }

  it('with keepHistory: the same log, so events published while clients were away are replayed', async () => {
    const { hub, url } = await served();
    const c = client(url, 'sse');
    const recorder = createRecorder();
    recorder.attach(c);
    await hub.waitForSubscribers('notes', 1);
    await hub.publish('notes', 1);
    await recorder.waitFor(1);
    const epoch = hub.epoch;
    await hub.restart({ keepHistory: true });
    await hub.publish('notes', 2);
    await hub.publish('notes', 3);
    await recorder.waitFor(3);
    expect(hub.epoch).toBe(epoch);
    recorder.assertComplete(hub.ids('notes'), { allowResets: false });
    expect(recorder.resets).toBe(0);
  });

  it('waits for a socket that cannot finish closing until the clock passes the drain timeout', async () => {
    const { hub, wsUrl } = await served(createTestHub({ drainTimeoutMs: 3000 }));
    const socket = await rawSocket(`${wsUrl}/ws?topics=a`);
    // Nothing the socket gets is read any more: the closing handshake never completes.
    socket.socket.pause();
    let done = false;
    const restarting = hub.restart().then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(done).toBe(false);
    await hub.clock.advance(3000);
    await restarting;
    expect(hub.stats().connections.total).toBe(0);
  });

  it('tells clients to come back at once (drainSpreadMs 0 on a test hub), unless told otherwise', async () => {
    for (const [hub, spread] of [
      [createTestHub(), 0],
      [createTestHub({ drainSpreadMs: 700 }), 700],
    ] as const) {
      expect(hub.options.drainSpreadMs).toBe(spread);
      const { wsUrl } = await served(hub);
      const socket = await rawSocket(`${wsUrl}/ws?topics=a`);
      const closing = new Promise<{ type: string; retryMs: number }>((resolve) =>
        socket.socket.on('message', (data) => {
          const message = JSON.parse(String(data));
          if (message.type === 'close') resolve(message);
        }),
      );
      await hub.restart();
      const { retryMs } = await closing;
      expect(retryMs).toBeGreaterThanOrEqual(0);
      expect(retryMs).toBeLessThan(Math.max(spread, 1));
    }
  });

  it('is ready until closed, across restarts', async () => {
    const hub = createTestHub();
    expect(hub.ready).toBe(true);
    await hub.restart();
    expect(hub.ready).toBe(true);
    const closing = hub.close();
    expect(hub.ready).toBe(false);
    await closing;
  });

  it('refuses to restart once closed, and closes only once', async () => {
    const hub = createTestHub();
    await hub.close();
    await hub.close();
    await expect(hub.restart()).rejects.toThrow('the test hub is closed');
  });
});

describe('createTestHub options', () => {
  it('defaults to anonymous unless a token scheme is set; validates like createHub', async () => {
    const open = track(createTestHub());
    expect((await open.handle(new Request('http://t/realtime/poll?topics=a'))).status).toBe(200);
    const guarded = track(createTestHub({ jwt: { secret: SECRET } }));
    expect((await guarded.handle(new Request('http://t/realtime/poll?topics=a'))).status).toBe(401);
    expect(() => createTestHub({ maxConnections: -1 })).toThrow(TypeError);
    expect(() => createTestHub({ broker: {} } as never)).toThrow(/owns its broker/);
    expect(() => createTestHub({ clock: { now: () => 0 } as never })).toThrow(/createManualClock/);
  });

  it('runs two hubs on one shared clock', async () => {
    const clock = createManualClock();
    const a = track(createTestHub({ clock }));
    const b = track(createTestHub({ clock }));
    expect(a.clock).toBe(b.clock);
    await a.publish('x', 1);
    await clock.advance(1000);
    await b.publish('x', 1);
    expect(b.log[0]!.time - a.log[0]!.time).toBe(1000);
  });
});
