import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type Broker,
  createEpoch,
  type EventRecord,
  formatEventId,
  type HistoryResult,
  isTidingsError,
  parseEventId,
} from '../src/broker-api.ts';
import { createMemoryBroker } from '../src/index.ts';
import { advance, call, flush, makeHub, openWs, pollBody, request, useFakeClock } from './support/harness.ts';
import { readSse } from './support/sse-reader.ts';

beforeEach(useFakeClock);

const input = (topic: string, data = '1', event = 'message') => ({ topic, event, data });

/** The ids a history read returns, or 'reset'. The embedded broker answers synchronously. */
function ids(result: HistoryResult | Promise<HistoryResult>): string[] | 'reset' {
  if (result instanceof Promise) throw new Error('the memory broker must answer synchronously');
  return 'reset' in result ? 'reset' : result.events.map((r) => r.id);
}

/** A history read as ids and the topics it says lost events. */
function read(result: HistoryResult | Promise<HistoryResult>): { ids: string[]; lost?: string[] } {
  if (result instanceof Promise) throw new Error('the memory broker must answer synchronously');
  if ('reset' in result) throw new Error('unexpected reset');
  const out: { ids: string[]; lost?: string[] } = { ids: result.events.map((r) => r.id) };
  if (result.lost) out.lost = result.lost;
  return out;
}

describe('event ids', () => {
  it('format and parse <epoch>-<seq>', () => {
    expect(formatEventId('abc', 42)).toBe('abc-42');
    expect(parseEventId('abc-42')).toEqual({ epoch: 'abc', seq: 42 });
    expect(parseEventId('abc-0')).toEqual({ epoch: 'abc', seq: 0 });
    for (const bad of [
      '',
      'abc',
      'abc-',
      '-1',
      'ABC-1',
      'abc-01',
      'abc-1-2',
      'abc-1e3',
      'ab c-1',
      'abc-9007199254740993',
    ]) {
      expect(parseEventId(bad), bad).toBeUndefined();
    }
  });

  it('epochs are fresh and fit the id alphabet', () => {
    const a = createEpoch();
    const b = createEpoch();
    expect(a).not.toBe(b);
    expect(parseEventId(formatEventId(a, 1))).toEqual({ epoch: a, seq: 1 });
  });
});

describe('createMemoryBroker', () => {
  it('issues strictly increasing ids in one epoch; head follows', () => {
    const broker = createMemoryBroker({ epoch: 'e1' });
    expect(broker.head()).toEqual({ epoch: 'e1', seq: 0 });
    const records = [broker.publish(input('a')), broker.publish(input('b')), broker.publish(input('a'))];
    expect((records as EventRecord[]).map((r) => r.id)).toEqual(['e1-1', 'e1-2', 'e1-3']);
    expect(broker.head()).toEqual({ epoch: 'e1', seq: 3 });
    expect(createMemoryBroker().head().epoch).not.toBe(createMemoryBroker().head().epoch);
  });

  it('delivers live events synchronously to every listener, in order, until it unsubscribes', () => {
    const broker = createMemoryBroker();
    const first: string[] = [];
    const second: string[] = [];
    const stop = broker.subscribe({ event: (r) => first.push(r.id), reset: () => {} });
    broker.subscribe({ event: (r) => second.push(r.id), reset: () => {} });
    const one = broker.publish(input('a')) as EventRecord;
    stop();
    const two = broker.publish(input('b')) as EventRecord;
    expect(first).toEqual([one.id]);
    expect(second).toEqual([one.id, two.id]);
  });

  it('reads history after a cursor on the asked topics only', () => {
    const broker = createMemoryBroker({ epoch: 'e' });
    for (const topic of ['a', 'b', 'c', 'a', 'b']) broker.publish(input(topic));
    expect(ids(broker.readAfter(['a'], 'e', 0))).toEqual(['e-1', 'e-4']);
    expect(ids(broker.readAfter(['a', 'b'], 'e', 1))).toEqual(['e-2', 'e-4', 'e-5']);
    expect(ids(broker.readAfter(['a'], 'e', 5))).toEqual([]);
    expect(ids(broker.readAfter(['zzz'], 'e', 0))).toEqual([]);
  });

  it('says reset for a cursor beyond head or from another epoch', () => {
    const broker = createMemoryBroker({ epoch: 'e' });
    broker.publish(input('a'));
    expect(ids(broker.readAfter(['a'], 'e', 2))).toBe('reset');
    expect(ids(broker.readAfter(['a'], 'other', 0))).toBe('reset');
  });

  it('retains by count per topic: a busy topic never pushes a quiet one out', () => {
    const broker = createMemoryBroker({ epoch: 'e', retentionCount: 3 });
    broker.publish(input('quiet')); // e-1
    for (let i = 0; i < 300; i++) broker.publish(input('busy')); // e-2..e-301
    expect(read(broker.readAfter(['quiet'], 'e', 0))).toEqual({ ids: ['e-1'] });
    expect(read(broker.readAfter(['busy'], 'e', 0))).toEqual({
      ids: ['e-299', 'e-300', 'e-301'],
      lost: ['busy'],
    });
    // The cursor past the last evicted one: nothing lost.
    expect(read(broker.readAfter(['busy'], 'e', 298))).toEqual({ ids: ['e-299', 'e-300', 'e-301'] });
    // Two topics: only the one that lost events is named; everything retained comes, in seq order.
    broker.publish(input('quiet')); // e-302
    expect(read(broker.readAfter(['busy', 'quiet'], 'e', 0))).toEqual({
      ids: ['e-1', 'e-299', 'e-300', 'e-301', 'e-302'],
      lost: ['busy'],
    });
  });

  it('retains by age, evicting on read even when nothing is published', async () => {
    const broker = createMemoryBroker({ epoch: 'e', retentionMs: 10_000 });
    broker.publish(input('a'));
    await advance(5_000);
    broker.publish(input('a'));
    await advance(5_000);
    expect(read(broker.readAfter(['a'], 'e', 0))).toEqual({ ids: ['e-1', 'e-2'] });
    await advance(1);
    expect(read(broker.readAfter(['a'], 'e', 0))).toEqual({ ids: ['e-2'], lost: ['a'] });
    expect(read(broker.readAfter(['a'], 'e', 1))).toEqual({ ids: ['e-2'] });
    await advance(5_000);
    expect(read(broker.readAfter(['a'], 'e', 1))).toEqual({ ids: [], lost: ['a'] });
    expect(read(broker.readAfter(['a'], 'e', 2))).toEqual({ ids: [] });
  });

  it('takes overrides by topic pattern; the longest match wins', () => {
    const broker = createMemoryBroker({
      epoch: 'e',
      retentionCount: 2,
      retentionByTopic: { 'prices.*': { count: 1 }, 'prices.eur': { count: 3 }, 'log*': { count: 5 } },
    });
    for (const topic of ['prices.usd', 'prices.eur', 'other', 'logs']) {
      for (let i = 0; i < 6; i++) broker.publish(input(topic));
    }
    const kept = (topic: string) => {
      const result = broker.readAfter([topic], 'e', 0) as { events: EventRecord[] };
      return result.events.length;
    };
    expect([kept('prices.usd'), kept('prices.eur'), kept('other'), kept('logs')]).toEqual([1, 3, 2, 5]);
  });

  it('refuses a bad retention with a TypeError', () => {
    expect(() => createMemoryBroker({ retentionCount: 0 })).toThrow(TypeError);
    expect(() => createMemoryBroker({ retentionByTopic: { 'a*b': { count: 1 } } })).toThrow(/pattern|prefix/);
    expect(() => createMemoryBroker({ retentionByTopic: { a: { ms: -1 } } })).toThrow(TypeError);
    expect(() => createMemoryBroker({ retentionMaxEvents: 0 })).toThrow(/retentionMaxEvents/);
  });

  it('keeps within the memory bound across topics: the oldest go first, and their topics say so', () => {
    const broker = createMemoryBroker({ epoch: 'e', retentionCount: 100, retentionMaxEvents: 4 });
    for (const topic of ['a', 'b', 'a', 'b', 'c', 'c']) broker.publish(input(topic)); // e-1..e-6
    expect(read(broker.readAfter(['a'], 'e', 0))).toEqual({ ids: ['e-3'], lost: ['a'] });
    expect(read(broker.readAfter(['b'], 'e', 0))).toEqual({ ids: ['e-4'], lost: ['b'] });
    expect(read(broker.readAfter(['c'], 'e', 0))).toEqual({ ids: ['e-5', 'e-6'] });
  });

  it('past 10,000 idle topics it forgets them and says lost conservatively, never nothing', async () => {
    const broker = createMemoryBroker({ epoch: 'e', retentionMs: 1000 });
    broker.publish(input('first')); // e-1
    // A topic that never lost anything is not reset.
    expect(read(broker.readAfter(['never'], 'e', 0))).toEqual({ ids: [] });
    for (let i = 0; i < 10_050; i++) broker.publish(input(`t${i}`));
    await advance(2000);
    // Publishing sweeps one idle topic per publish; the aged-out logs past the bound are dropped.
    for (let i = 0; i < 20_200; i++) broker.publish(input('fresh'));
    expect(read(broker.readAfter(['first'], 'e', 0))).toEqual({ ids: [], lost: ['first'] });
    expect(read(broker.readAfter(['never'], 'e', 0)).lost).toEqual(['never']);
    const head = broker.head().seq;
    expect(read(broker.readAfter(['never'], 'e', head - 1))).toEqual({ ids: [] });
  });

  it('close() stops the live stream and drops history', () => {
    const broker = createMemoryBroker({ epoch: 'e' });
    const seen: string[] = [];
    broker.subscribe({ event: (r) => seen.push(r.id), reset: () => {} });
    broker.publish(input('a'));
    broker.close?.();
    broker.publish(input('a'));
    expect(seen).toEqual(['e-1']);
  });
});

describe('EventRecord wire forms', () => {
  it('envelope, WebSocket text and SSE frame agree; the SSE bytes are its UTF-8', () => {
    const broker = createMemoryBroker({ epoch: 'e' });
    const record = broker.publish(input('a', '{"text":"héllo\\nwörld ✓"}', 'note')) as EventRecord;
    const envelope = { id: 'e-1', topic: 'a', event: 'note', data: { text: 'héllo\nwörld ✓' } };
    expect(JSON.parse(record.envelope)).toEqual(envelope);
    expect(JSON.parse(record.wsText)).toEqual({ type: 'event', ...envelope });
    expect(record.sseText).toBe(`id: e-1\nevent: note\ndata: ${record.envelope}\n\n`);
    expect(new TextDecoder().decode(record.sseBytes)).toBe(record.sseText);
    expect(record.sseBytes).toBe(record.sseBytes);
    const key = Symbol('adapter frame');
    record.frames.set(key, 'framed');
    expect(record.frames.get(key)).toBe('framed');
  });
});

describe('the hub over a broker it did not create', () => {
  /** An async broker standing in for a networked one: every call resolves later. */
  function asyncBroker(): Broker & { closed: number; failNext: boolean } {
    const inner = createMemoryBroker({ epoch: 'remote' });
    const broker = {
      closed: 0,
      failNext: false,
      async publish(i: Parameters<Broker['publish']>[0]) {
        await Promise.resolve();
        if (broker.failNext) {
          broker.failNext = false;
          throw new Error('connection to broker lost');
        }
        return inner.publish(i);
      },
      subscribe: (listener: Parameters<Broker['subscribe']>[0]) => inner.subscribe(listener),
      async readAfter(topics: readonly string[], epoch: string, seq: number) {
        await Promise.resolve();
        return inner.readAfter(topics, epoch, seq);
      },
      head: () => inner.head(),
      close() {
        broker.closed++;
      },
    };
    return broker;
  }

  it('works with async publish and history reads, ids coming from the broker', async () => {
    const broker = asyncBroker();
    const hub = makeHub({ anonymous: true, broker });
    const socket = await openWs(hub, '?topics=a');
    const first = await hub.publish('a', 1);
    expect(first).toBe('remote-1');
    const second = await hub.publish('a', 2);
    expect(socket.eventIds()).toEqual([first, second]);
    const body = await pollBody(await call(hub, `poll?topics=a&cursor=${first}`));
    expect(body.events.map((e) => e.id)).toEqual([second]);
  });

  it('a failing broker publish is a 503 unavailable, reported to onError; the hub keeps working', async () => {
    const errors: unknown[] = [];
    const broker = asyncBroker();
    const hub = makeHub({ anonymous: true, broker, authorize: () => true, onError: (e) => errors.push(e) });
    broker.failNext = true;
    const error = await hub.publish('a', 1).catch((e: unknown) => e);
    expect(isTidingsError(error) && error.code).toBe('unavailable');
    broker.failNext = true;
    const response = await hub.handle(request('publish', { method: 'POST', body: '{"topic":"a","data":1}' }));
    expect(response!.status).toBe(503);
    expect(response!.headers.get('retry-after')).toBe('5');
    expect(await response!.text()).not.toContain('connection to broker lost');
    expect(errors.map((e) => (e as Error).message)).toEqual([
      'connection to broker lost',
      'connection to broker lost',
    ]);
    expect(await hub.publish('a', 2)).toBe('remote-1');
    expect(hub.stats().published).toBe(1);
  });

  it('a failing history read: 503 for polls, 1001 unavailable for a WebSocket, an unavailable close event for SSE', async () => {
    const errors: [unknown, unknown][] = [];
    const inner = createMemoryBroker({ epoch: 'e' });
    const broker: Broker = {
      ...inner,
      readAfter: () => Promise.reject(new Error('history store down')),
    };
    const hub = makeHub({ anonymous: true, broker, onError: (e, info) => errors.push([e, info]) });
    // A cursor behind head, so every route must read the history (one at head has nothing to read).
    const cursor = await hub.publish('a', 1);
    await hub.publish('a', 2);
    for (const route of ['poll', 'long-poll']) {
      const response = await hub.handle(request(`${route}?topics=a&cursor=${cursor}`));
      expect(response!.status).toBe(503);
      expect(response!.headers.get('retry-after')).toBe('5');
      expect(await response!.text()).not.toContain('history store down');
    }
    const socket = await openWs(hub, `?topics=a&cursor=${cursor}`);
    expect(socket.closed).toEqual({ code: 1001, reason: 'unavailable' });
    const stream = readSse(await call(hub, `sse?topics=a&cursor=${cursor}`));
    await flush();
    expect(stream.events.at(-1)).toMatchObject({
      event: 'close',
      data: expect.stringContaining('"unavailable"'),
    });
    expect(stream.done).toBe(true);
    expect(hub.stats().connections.total).toBe(0);
    // Each failure is reported once, with the stage that failed and the route it failed on.
    expect(errors.map(([, info]) => info)).toEqual([
      { stage: 'broker', route: 'poll' },
      { stage: 'broker', route: 'long-poll' },
      { stage: 'broker', route: 'ws' },
      { stage: 'broker', route: 'sse' },
    ]);
  });

  it('a client whose cursor is at head costs no history read (a round trip to Redis or PostgreSQL)', async () => {
    const inner = createMemoryBroker({ epoch: 'e' });
    let reads = 0;
    const broker: Broker = {
      ...inner,
      readAfter: (...args) => {
        reads++;
        return inner.readAfter(...args);
      },
    };
    const hub = makeHub({ anonymous: true, broker });
    const older = await hub.publish('a', 1);
    const head = await hub.publish('a', 2);
    const atHead = await openWs(hub, `?topics=a&cursor=${head}`);
    readSse(await call(hub, `sse?topics=a&cursor=${head}`));
    await flush();
    expect(reads).toBe(0);
    // Behind head, the history is read, once per connection.
    const behind = await openWs(hub, `?topics=a&cursor=${older}`);
    await flush();
    expect(reads).toBe(1);
    expect(behind.messages().some((m) => m.type === 'event' && m.id === head)).toBe(true);
    expect(atHead.messages().some((m) => m.type === 'event')).toBe(false);
  });

  it('close() leaves a broker it was given open and stops listening to it', async () => {
    const broker = asyncBroker();
    const hub = makeHub({ anonymous: true, broker });
    await openWs(hub, '?topics=a');
    await hub.close();
    expect(broker.closed).toBe(0);
    await broker.publish({ topic: 'a', event: 'message', data: '1' });
    expect(hub.stats().delivered).toBe(0);
    await flush();
    expect(vi.getTimerCount()).toBe(0);
  });
});
