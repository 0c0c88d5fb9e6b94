import { beforeEach, describe, expect, it } from 'vitest';
import type { SocketPort, StreamPort } from '../src/adapter.ts';
import { respond, upgrade } from '../src/adapter.ts';
import type { AnyHub } from '../src/index.ts';
import { CLOSE_GRACE_MS } from '../src/internal/close-grace.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { advance, call, flush, makeHub, request, useFakeClock } from './support/harness.ts';
import { parseSse, readSse } from './support/sse-reader.ts';

beforeEach(useFakeClock);

/**
 * A transport with a queue: every write adds its length, and nothing leaves until the test's
 * reader takes it (`read()`), which also wakes a `waitForDrain`. `maxQueued` is the most the hub
 * ever had queued at once.
 */
class Queue {
  text = '';
  queued = 0;
  maxQueued = 0;
  #waiters: (() => void)[] = [];

  add(chunk: string): void {
    this.text += chunk;
    this.queued += chunk.length;
    this.maxQueued = Math.max(this.maxQueued, this.queued);
  }

  /** The reader takes everything queued. */
  read(): void {
    this.queued = 0;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  waitForDrain = (): Promise<void> =>
    this.queued === 0 ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
}

interface QueuedStream {
  port: StreamPort;
  queue: Queue;
  ended: boolean;
  destroyed: boolean;
}

function queuedStream(options: { drain?: boolean } = {}): QueuedStream {
  const queue = new Queue();
  const stream: QueuedStream = {
    queue,
    ended: false,
    destroyed: false,
    port: {
      open() {},
      write: (chunk) => queue.add(chunk),
      end() {
        stream.ended = true;
      },
      bufferedAmount: () => queue.queued,
      destroy() {
        stream.destroyed = true;
      },
    },
  };
  if (options.drain ?? true) stream.port.waitForDrain = queue.waitForDrain;
  return stream;
}

/** A fake socket whose sends queue up like a real one's; see Queue. */
function queuedSocket(options: { autoClose?: boolean } = {}): { socket: FakeSocket; queue: Queue } {
  const socket = new FakeSocket(options);
  const queue = new Queue();
  const port = socket.port as SocketPort;
  const send = port.send;
  port.send = (text, record) => {
    send(text, record);
    queue.add(text);
  };
  port.bufferedAmount = () => queue.queued;
  port.waitForDrain = queue.waitForDrain;
  return { socket, queue };
}

async function acceptWs(hub: AnyHub, query: string, socket: FakeSocket): Promise<void> {
  const decision = await upgrade(hub, request(`ws${query}`));
  if (!decision.accepted) throw new Error('upgrade refused');
  socket.handlers = decision.accept(socket.port);
  await flush();
}

/** Publishes `count` events of ~`size` characters on `topic`; resolves to their ids. */
async function backlog(hub: AnyHub, topic: string, count: number, size: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await hub.publish(topic, { i, pad: 'p'.repeat(size) }));
  return ids;
}

/** Lets the reader take what is queued, turn after turn, until `done()` (bounded). */
async function readUntil(queue: Queue, done: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !done(); i++) {
    queue.read();
    await flush();
  }
}

const sseIds = (text: string) =>
  parseSse(text)
    .events.filter((e) => e.event === 'message')
    .map((e) => e.id);

describe('a replay is paced by the reader, not judged as a stalled one', () => {
  it('SSE: a healthy reader resuming a backlog 12 times maxBufferedBytes gets all of it, never more than the limit queued', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 4096 });
    const ids = await backlog(hub, 'a', 300, 100);
    const stream = queuedStream();
    await respond(hub, request(`sse?topics=a&cursor=${ids[0]}`), { stream: stream.port });
    await readUntil(stream.queue, () => sseIds(stream.queue.text).length >= 299);
    expect(sseIds(stream.queue.text)).toEqual(ids.slice(1));
    expect(stream.queue.maxQueued).toBeLessThanOrEqual(4096);
    expect(stream.ended).toBe(false);
    expect(hub.stats()).toMatchObject({ dropped: 0, connections: { sse: 1 } });
  });

  it('WebSocket: the same backlog arrives whole and in order', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 4096 });
    const ids = await backlog(hub, 'a', 300, 100);
    const { socket, queue } = queuedSocket();
    await acceptWs(hub, `?topics=a&cursor=${ids[0]}`, socket);
    await readUntil(queue, () => socket.eventIds().length >= 299);
    expect(socket.eventIds()).toEqual(ids.slice(1));
    expect(queue.maxQueued).toBeLessThanOrEqual(4096);
    expect(socket.isClosed).toBe(false);
    expect(hub.stats().dropped).toBe(0);
  });

  it('a port that cannot report its drain is looked at again until the reader took enough', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 4096 });
    const ids = await backlog(hub, 'a', 200, 100);
    const stream = queuedStream({ drain: false });
    await respond(hub, request(`sse?topics=a&cursor=${ids[0]}`), { stream: stream.port });
    for (let i = 0; i < 500 && sseIds(stream.queue.text).length < 199; i++) {
      stream.queue.read();
      await advance(10);
    }
    expect(sseIds(stream.queue.text)).toEqual(ids.slice(1));
    expect(stream.queue.maxQueued).toBeLessThanOrEqual(4096);
  });

  it('live events published meanwhile wait, come after the history in order, and are paced too', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 4096 });
    const history = await backlog(hub, 'a', 100, 100);
    const stream = queuedStream();
    await respond(hub, request(`sse?topics=a&cursor=${history[0]}`), { stream: stream.port });
    await flush();
    // The replay waits for the reader now; what is published meanwhile is live.
    const live = await backlog(hub, 'a', 100, 100);
    await readUntil(stream.queue, () => sseIds(stream.queue.text).length >= 199);
    expect(sseIds(stream.queue.text)).toEqual([...history.slice(1), ...live]);
    expect(stream.queue.maxQueued).toBeLessThanOrEqual(4096);
    const after = await hub.publish('a', 'after');
    stream.queue.read();
    expect(sseIds(stream.queue.text).at(-1)).toBe(after);
    expect(hub.stats().dropped).toBe(0);
  });
});

describe('a reader that stalls during a replay is cut once', () => {
  it('SSE: no drain within sseHeartbeatMs ends the stream with slow_consumer, counted once', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 4096, sseHeartbeatMs: 2000, tickMs: 500 });
    const ids = await backlog(hub, 'a', 300, 100);
    const stream = queuedStream();
    await respond(hub, request(`sse?topics=a&cursor=${ids[0]}`), { stream: stream.port });
    await advance(1500);
    expect(stream.ended).toBe(false);
    await advance(1000);
    expect(stream.ended).toBe(true);
    const log = parseSse(stream.queue.text);
    expect(log.events.at(-1)).toMatchObject({ event: 'close' });
    expect(JSON.parse(log.events.at(-1)!.data)).toMatchObject({ code: 'slow_consumer' });
    // Most of the backlog was never written, and the cut counts once, not per event left.
    expect(sseIds(stream.queue.text).length).toBeLessThan(100);
    expect(hub.stats()).toMatchObject({ dropped: 1, connections: { total: 0 } });
  });

  it('WebSocket: no drain within heartbeatMs closes with 1013 slow_consumer, counted once', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 4096, heartbeatMs: 60_000, tickMs: 1000 });
    const ids = await backlog(hub, 'a', 300, 100);
    const { socket } = queuedSocket();
    await acceptWs(hub, `?topics=a&cursor=${ids[0]}`, socket);
    await advance(59_000);
    expect(socket.isClosed).toBe(false);
    await advance(2000);
    expect(socket.closed).toEqual({ code: 1013, reason: 'slow_consumer' });
    expect(socket.eventIds().length).toBeLessThan(100);
    expect(hub.stats()).toMatchObject({ dropped: 1, connections: { total: 0 } });
  });

  it('a port whose waitForDrain answers at once without the queue moving does not make the hub spin', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 4096, sseHeartbeatMs: 2000, tickMs: 500 });
    const ids = await backlog(hub, 'a', 300, 100);
    const stream = queuedStream();
    stream.port.waitForDrain = () => Promise.resolve();
    await respond(hub, request(`sse?topics=a&cursor=${ids[0]}`), { stream: stream.port });
    // Were the wait a loop of microtasks, the fake clock would never get to run its timers.
    await advance(2500);
    expect(stream.ended).toBe(true);
    expect(hub.stats()).toMatchObject({ dropped: 1, connections: { total: 0 } });
  });

  it('a reader that takes a little within each interval is not cut', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 4096, sseHeartbeatMs: 2000, tickMs: 500 });
    const ids = await backlog(hub, 'a', 100, 100);
    const stream = queuedStream();
    await respond(hub, request(`sse?topics=a&cursor=${ids[0]}`), { stream: stream.port });
    for (let i = 0; i < 200 && sseIds(stream.queue.text).length < 99; i++) {
      await advance(1500);
      stream.queue.read();
      await flush();
    }
    expect(sseIds(stream.queue.text)).toEqual(ids.slice(1));
    expect(hub.stats().dropped).toBe(0);
  });
});

describe('a cut counts once on every transport', () => {
  it('SSE through a web stream, WebSocket and SSE through a port: one drop each, whatever is published after', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 1024 });
    const web = await call(hub, 'sse?topics=a'); // never read
    const { socket, queue } = queuedSocket();
    await acceptWs(hub, '?topics=a', socket);
    const stream = queuedStream();
    await respond(hub, request('sse?topics=a'), { stream: stream.port });
    for (let i = 0; i < 50; i++) await hub.publish('a', 'x'.repeat(200));
    await flush();
    expect(hub.stats()).toMatchObject({ dropped: 3, connections: { total: 0 } });
    expect(socket.closed).toEqual({ code: 1013, reason: 'slow_consumer' });
    expect(stream.ended).toBe(true);
    queue.read();
    await web.body!.cancel();
  });
});

describe('a client cut as a slow consumer holds no slot', () => {
  it('WebSocket: the slot is free at once, though the peer never finishes the closing handshake', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 1024, maxConnections: 1 });
    const { socket } = queuedSocket({ autoClose: false });
    await acceptWs(hub, '?topics=a', socket);
    for (let i = 0; i < 10; i++) await hub.publish('a', 'x'.repeat(200));
    expect(socket.closed).toEqual({ code: 1013, reason: 'slow_consumer' });
    expect(hub.stats().connections.total).toBe(0);
    // The one slot is free for someone else.
    const next = await upgrade(hub, request('ws?topics=b'));
    expect(next.accepted).toBe(true);
    if (next.accepted) next.abort();
    // The socket itself is dropped after the close grace, not before.
    await advance(CLOSE_GRACE_MS - 100);
    expect(socket.terminated).toBe(false);
    await advance(200);
    expect(socket.terminated).toBe(true);
  });

  it('SSE: the stream ends at once and its socket is destroyed after the close grace', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 1024 });
    const stream = queuedStream();
    await respond(hub, request('sse?topics=a'), { stream: stream.port });
    for (let i = 0; i < 10; i++) await hub.publish('a', 'x'.repeat(200));
    expect(stream.ended).toBe(true);
    expect(hub.stats().connections.total).toBe(0);
    await advance(CLOSE_GRACE_MS - 100);
    expect(stream.destroyed).toBe(false);
    await advance(200);
    expect(stream.destroyed).toBe(true);
  });

  it('SSE through a web stream: after the grace the stream errors, dropping what the client never read', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 1024 });
    const response = await call(hub, 'sse?topics=a');
    for (let i = 0; i < 20; i++) await hub.publish('a', 'x'.repeat(200));
    expect(hub.stats()).toMatchObject({ dropped: 1, connections: { total: 0 } });
    await advance(CLOSE_GRACE_MS + 100);
    const reader = response.body!.getReader();
    await expect(reader.read()).rejects.toThrow(/slow consumer/);
  });

  it('a web stream reader that keeps reading gets its replay through the stream’s own pull', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 4096 });
    const ids = await backlog(hub, 'a', 300, 100);
    const sse = readSse(await call(hub, `sse?topics=a&cursor=${ids[0]}`));
    for (let i = 0; i < 500 && sse.events.length < 299; i++) await flush();
    expect(sse.events.map((e) => e.id)).toEqual(ids.slice(1));
    expect(hub.stats().dropped).toBe(0);
  });
});
