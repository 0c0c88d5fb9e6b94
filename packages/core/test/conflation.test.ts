import { beforeEach, describe, expect, it } from 'vitest';
import { respond } from '../src/adapter.ts';
import { type AnyHub, createHub, type HubOptions } from '../src/index.ts';
import { createSseParser, type SseMessage } from '../src/protocol/index.ts';
import {
  advance,
  call,
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

beforeEach(useFakeClock);

// Conflated topics: `prices` and everything under `cursor.`; `chat` is not conflated.
const CONFLATED: HubOptions = {
  anonymous: true,
  conflateTopics: ['prices', 'cursor.*'],
  conflateBufferedBytes: 1000,
  maxBufferedBytes: 10_000,
};

/** The hub's sweep of held events runs on a 10 ms timer. */
const sweep = () => advance(20);

/** Publishes `rounds` values for each of `names` (event names) on `topic`; the last round's ids. */
async function publishRounds(hub: AnyHub, topic: string, names: string[], rounds: number) {
  const last = new Map<string, string>();
  for (let round = 1; round <= rounds; round++) {
    for (const name of names) last.set(name, await hub.publish(topic, { name, round }, { event: name }));
  }
  return last;
}

/** The SSE events written to a fake stream, parsed. */
function sseEvents(chunks: readonly string[]): SseMessage[] {
  const events: SseMessage[] = [];
  const parser = createSseParser({ onEvent: (message) => events.push(message) });
  parser.push(chunks.join(''));
  return events;
}

describe('conflation of a WebSocket that falls behind', () => {
  it('keeps only the newest event per name while behind, bounded, then sends the latest of each with "conflated":true', async () => {
    const hub = makeHub(CONFLATED);
    const slow = await openWs(hub, '?topics=prices');
    const fast = await openWs(hub, '?topics=prices');
    slow.buffered = 5000;
    const names = ['AAPL', 'MSFT', 'NVDA'];
    const last = await publishRounds(hub, 'prices', names, 200);
    // 600 events of about 70 bytes: far past maxBufferedBytes had they queued. Held: one per name.
    expect(slow.closed).toBeUndefined();
    expect(slow.eventIds()).toEqual([]);
    expect(fast.eventIds()).toHaveLength(600);
    slow.buffered = 0;
    await sweep();
    const events = slow.ofType('event');
    expect(events).toEqual(
      names.map((name) => ({
        type: 'event',
        id: last.get(name),
        topic: 'prices',
        event: name,
        data: { name, round: 200 },
        conflated: true,
      })),
    );
    expect(hub.stats()).toMatchObject({ dropped: 0, connections: { ws: 2 } });
    // Caught up: the next event goes out as it comes, unflagged.
    const next = await hub.publish('prices', { name: 'AAPL', round: 201 }, { event: 'AAPL' });
    expect(slow.messages().at(-1)).toEqual({
      type: 'event',
      id: next,
      topic: 'prices',
      event: 'AAPL',
      data: { name: 'AAPL', round: 201 },
    });
  });

  it('with batchWindowMs, batched events are conflated the same way', async () => {
    const hub = makeHub({ ...CONFLATED, batchWindowMs: 5 });
    const slow = await openWs(hub, '?topics=prices');
    slow.buffered = 5000;
    const last = await publishRounds(hub, 'prices', ['a', 'b'], 50);
    await advance(10);
    expect(slow.eventIds()).toEqual([]);
    slow.buffered = 0;
    await sweep();
    expect(slow.ofType('event').map((e) => [e.id, e.conflated])).toEqual([
      [last.get('a'), true],
      [last.get('b'), true],
    ]);
    expect(slow.closed).toBeUndefined();
  });

  it('a name that did not repeat while behind is sent without the flag; ids stay in order', async () => {
    const hub = makeHub(CONFLATED);
    const slow = await openWs(hub, '?topics=prices,cursor.ann');
    slow.buffered = 5000;
    const a1 = await hub.publish('prices', 1, { event: 'a' });
    const c1 = await hub.publish('cursor.ann', { x: 1 });
    const a2 = await hub.publish('prices', 2, { event: 'a' });
    const b1 = await hub.publish('prices', 3, { event: 'b' });
    slow.buffered = 0;
    await sweep();
    expect(a1).not.toBe(a2);
    expect(slow.ofType('event')).toEqual([
      { type: 'event', id: c1, topic: 'cursor.ann', event: 'message', data: { x: 1 } },
      { type: 'event', id: a2, topic: 'prices', event: 'a', data: 2, conflated: true },
      { type: 'event', id: b1, topic: 'prices', event: 'b', data: 3 },
    ]);
  });

  it('events of other topics queue in order behind held ones and are never conflated', async () => {
    const hub = makeHub(CONFLATED);
    const slow = await openWs(hub, '?topics=prices,chat');
    slow.buffered = 5000;
    const p1 = await hub.publish('prices', 1);
    const chat = [await hub.publish('chat', 'a'), await hub.publish('chat', 'b')];
    const p2 = await hub.publish('prices', 2);
    const chat3 = await hub.publish('chat', 'c');
    expect(slow.eventIds()).toEqual([]);
    slow.buffered = 0;
    await sweep();
    expect(p1).not.toBe(p2);
    expect(slow.eventIds()).toEqual([...chat, p2, chat3]);
  });

  it('is dropped as a slow consumer once held and queued bytes pass maxBufferedBytes (many distinct names)', async () => {
    const hub = makeHub(CONFLATED);
    const slow = await openWs(hub, '?topics=prices');
    slow.buffered = 5000;
    for (let i = 0; i < 200 && !slow.closed; i++)
      await hub.publish('prices', 'x'.repeat(50), { event: `n${i}` });
    expect(slow.closed).toEqual({ code: 1013, reason: 'slow_consumer' });
    await flush();
    expect(hub.stats()).toMatchObject({ dropped: 1, connections: { total: 0 } });
  });

  it('a connection under the mark is not conflated: every event goes out', async () => {
    const hub = makeHub(CONFLATED);
    const socket = await openWs(hub, '?topics=prices');
    socket.buffered = 1000;
    const ids = [await hub.publish('prices', 1), await hub.publish('prices', 2)];
    expect(socket.eventIds()).toEqual(ids);
    expect(socket.ofType('event').some((e) => 'conflated' in e)).toBe(false);
  });

  it('without conflateTopics, a connection past maxBufferedBytes is dropped as before', async () => {
    const hub = makeHub({ anonymous: true, maxBufferedBytes: 10_000 });
    const slow = await openWs(hub, '?topics=prices');
    slow.buffered = 20_000;
    await hub.publish('prices', 1);
    expect(slow.closed).toEqual({ code: 1013, reason: 'slow_consumer' });
  });

  it('held events of a topic unsubscribed meanwhile are not sent', async () => {
    const hub = makeHub(CONFLATED);
    const slow = await openWs(hub, '?topics=prices,cursor.x');
    slow.buffered = 5000;
    await hub.publish('prices', 1);
    const kept = await hub.publish('cursor.x', 1);
    slow.send({ type: 'unsubscribe', topics: ['prices'] });
    await flush();
    slow.buffered = 0;
    await sweep();
    expect(slow.eventIds()).toEqual([kept]);
  });

  it('a subscribe while behind sends what was held before its replay', async () => {
    const hub = makeHub(CONFLATED);
    const cursor = await headOf(hub);
    const chat = await hub.publish('chat', 'old');
    const slow = await openWs(hub, '?topics=prices');
    slow.buffered = 5000;
    const held = await hub.publish('prices', 1);
    slow.send({ type: 'subscribe', topics: ['chat'], cursor });
    await flush();
    expect(slow.eventIds()).toEqual([held, chat]);
  });
});

describe('conflation of an SSE stream that falls behind', () => {
  it('ends with the latest value of every name, flagged, and is not dropped', async () => {
    const hub = makeHub(CONFLATED);
    const stream = fakeStream();
    await respond(hub, request('sse?topics=prices'), { stream: stream.port });
    stream.buffered = 5000;
    const names = ['a', 'b'];
    const last = await publishRounds(hub, 'prices', names, 300);
    expect(sseEvents(stream.chunks)).toEqual([]);
    stream.buffered = 0;
    await sweep();
    const events = sseEvents(stream.chunks);
    expect(events.map((e) => [e.id, e.event])).toEqual(names.map((n) => [last.get(n), n]));
    expect(events.map((e) => JSON.parse(e.data))).toEqual(
      names.map((name) => ({
        id: last.get(name),
        topic: 'prices',
        event: name,
        data: { name, round: 300 },
        conflated: true,
      })),
    );
    expect(stream.ended).toBe(false);
    expect(hub.stats().dropped).toBe(0);
  });
});

describe('conflated replays and poll answers: the newest event per name since the cursor', () => {
  async function history(hub: AnyHub) {
    const cursor = await headOf(hub);
    const ids = {
      a1: await hub.publish('prices', 1, { event: 'a' }),
      chat1: await hub.publish('chat', 'x'),
      b1: await hub.publish('prices', 1, { event: 'b' }),
      a2: await hub.publish('prices', 2, { event: 'a' }),
      chat2: await hub.publish('chat', 'y'),
      a3: await hub.publish('prices', 3, { event: 'a' }),
    };
    return { cursor, ids };
  }

  it('a WebSocket resuming from a cursor', async () => {
    const hub = makeHub(CONFLATED);
    const { cursor, ids } = await history(hub);
    const socket = await openWs(hub, `?topics=prices,chat&cursor=${cursor}`);
    expect(socket.ofType('event')).toEqual([
      { type: 'event', id: ids.chat1, topic: 'chat', event: 'message', data: 'x' },
      { type: 'event', id: ids.b1, topic: 'prices', event: 'b', data: 1 },
      { type: 'event', id: ids.chat2, topic: 'chat', event: 'message', data: 'y' },
      { type: 'event', id: ids.a3, topic: 'prices', event: 'a', data: 3, conflated: true },
    ]);
  });

  it('a short poll, and a long poll behind the head', async () => {
    const hub = makeHub(CONFLATED);
    const { cursor, ids } = await history(hub);
    for (const route of ['poll', 'long-poll']) {
      const body = await pollBody(await call(hub, `${route}?topics=prices,chat&cursor=${cursor}`));
      expect(body.events.map((e) => e.id)).toEqual([ids.chat1, ids.b1, ids.chat2, ids.a3]);
      expect(body.events.at(-1)).toEqual({
        id: ids.a3,
        topic: 'prices',
        event: 'a',
        data: 3,
        conflated: true,
      });
      expect(body.events.filter((e) => 'conflated' in e)).toHaveLength(1);
      expect(body.cursor).toBe(ids.a3);
    }
  });

  it('a waiting long poll answers a burst with the newest per name', async () => {
    const hub = makeHub(CONFLATED);
    const cursor = await headOf(hub);
    const waiting = start(hub, `long-poll?topics=prices&cursor=${cursor}`);
    await flush();
    const ids = await Promise.all([
      hub.publish('prices', 1, { event: 'a' }),
      hub.publish('prices', 2, { event: 'a' }),
      hub.publish('prices', 1, { event: 'b' }),
    ]);
    const body = await pollBody((await waiting.promise)!);
    expect(body.events).toEqual([
      { id: ids[1], topic: 'prices', event: 'a', data: 2, conflated: true },
      { id: ids[2], topic: 'prices', event: 'b', data: 1 },
    ]);
    expect(body.cursor).toBe(ids[2]);
  });

  it('topics that are not conflated replay everything', async () => {
    const hub = makeHub({ ...CONFLATED, conflateTopics: ['other'] });
    const { cursor, ids } = await history(hub);
    const body = await pollBody(await call(hub, `poll?topics=prices,chat&cursor=${cursor}`));
    expect(body.events.map((e) => e.id)).toEqual(Object.values(ids));
  });
});

describe("the hub's own events on a conflated topic", () => {
  it('presence joins are never conflated: each names a user', async () => {
    const hub = makeHub({
      ...CONFLATED,
      anonymous: undefined,
      authenticate: (req) => ({ id: new URL(req.url).searchParams.get('user') ?? 'nobody' }),
      presence: (topic) => topic === 'prices',
    });
    const cursor = (await pollBody(await call(hub, 'poll?topics=x&user=watcher'))).cursor;
    const slow = await openWs(hub, '?topics=prices&user=watcher');
    slow.buffered = 5000;
    for (const user of ['ann', 'bob', 'cid']) await openWs(hub, `?topics=prices&user=${user}`);
    await hub.publish('prices', 1);
    await hub.publish('prices', 2);
    slow.buffered = 0;
    await sweep();
    const joins = (events: { event: unknown; data: unknown }[]) =>
      events.filter((e) => e.event === 'tidings:join').map((e) => (e.data as { user: string }).user);
    expect(joins(slow.ofType('event') as never)).toEqual(['watcher', 'ann', 'bob', 'cid']);
    expect(slow.ofType('event').filter((e) => e.event === 'message')).toEqual([
      expect.objectContaining({ data: 2, conflated: true }),
    ]);
    const replay = await pollBody(await call(hub, `poll?topics=prices&user=late&cursor=${cursor}`));
    expect(joins(replay.events)).toEqual(['watcher', 'ann', 'bob', 'cid']);
    expect(replay.events.filter((e) => e.event === 'message').map((e) => e.data)).toEqual([2]);
  });
});

describe('conflation options', () => {
  it('refuses bad patterns and a mark at or above maxBufferedBytes', () => {
    for (const conflateTopics of [['a*b'], ['bad topic'], [''], 'prices', [7]]) {
      expect(() => createHub({ anonymous: true, conflateTopics: conflateTopics as string[] })).toThrow(
        TypeError,
      );
    }
    expect(() =>
      createHub({
        anonymous: true,
        conflateTopics: ['a'],
        conflateBufferedBytes: 2000,
        maxBufferedBytes: 2000,
      }),
    ).toThrow(/conflateBufferedBytes/);
    // Without conflated topics the mark is not used, so a small maxBufferedBytes alone stays valid.
    expect(makeHub({ anonymous: true, maxBufferedBytes: 1000 }).options.conflateTopics).toBeUndefined();
    expect(makeHub({ anonymous: true, conflateTopics: ['*'] }).options.conflateTopics).toEqual(['*']);
  });
});
