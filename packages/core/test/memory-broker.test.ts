import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type Broker,
  createEpoch,
  createMemoryBroker,
  type EventRecord,
  formatEventId,
  type HistoryResult,
  isTidingsError,
  parseEventId,
} from '../src/index.ts';
import { advance, call, flush, makeHub, openWs, pollBody, request, useFakeClock } from './support/harness.ts';
import { readSse } from './support/sse-reader.ts';

beforeEach(useFakeClock);

const input = (topic: string, data = '1', event = 'message') => ({ topic, event, data });

/** The ids a history read returns, or 'reset'. The embedded broker answers synchronously. */
function ids(result: HistoryResult | Promise<HistoryResult>): string[] | 'reset' {
  if (result instanceof Promise) throw new Error('the memory broker must answer synchronously');
  return 'reset' in result ? 'reset' : result.events.map((r) => r.id);
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

  it('retains by count, and says reset only to topics that lost events after the cursor', () => {
    const broker = createMemoryBroker({ epoch: 'e', retentionCount: 3 });
    broker.publish(input('a')); // e-1
    broker.publish(input('b')); // e-2
    for (let i = 0; i < 3; i++) broker.publish(input('c')); // e-3..e-5; e-1 and e-2 are evicted
    expect(ids(broker.readAfter(['a'], 'e', 0))).toBe('reset');
    expect(ids(broker.readAfter(['a'], 'e', 1))).toEqual([]);
    expect(ids(broker.readAfter(['b'], 'e', 1))).toBe('reset');
    expect(ids(broker.readAfter(['c'], 'e', 0))).toEqual(['e-3', 'e-4', 'e-5']);
    expect(ids(broker.readAfter(['a', 'c'], 'e', 0))).toBe('reset');
  });

  it('retains by age, evicting on read even when nothing is published', async () => {
    const broker = createMemoryBroker({ epoch: 'e', retentionMs: 10_000 });
    broker.publish(input('a'));
    await advance(5_000);
    broker.publish(input('a'));
    await advance(5_000);
    expect(ids(broker.readAfter(['a'], 'e', 0))).toEqual(['e-1', 'e-2']);
    await advance(1);
    expect(ids(broker.readAfter(['a'], 'e', 0))).toBe('reset');
    expect(ids(broker.readAfter(['a'], 'e', 1))).toEqual(['e-2']);
    await advance(5_000);
    expect(ids(broker.readAfter(['a'], 'e', 1))).toBe('reset');
    expect(ids(broker.readAfter(['a'], 'e', 2))).toEqual([]);
  });

  it('past 10,000 evicted topics it stops tracking them and resets conservatively', () => {
    const broker = createMemoryBroker({ epoch: 'e', retentionCount: 1 });
    broker.publish(input('first'));
    broker.publish(input('second'));
    // Tracked: a topic that never lost anything is not reset.
    expect(ids(broker.readAfter(['never'], 'e', 0))).toEqual([]);
    for (let i = 0; i < 10_001; i++) broker.publish(input(`t${i}`));
    expect(ids(broker.readAfter(['never'], 'e', 0))).toBe('reset');
    const head = broker.head().seq;
    expect(ids(broker.readAfter(['never'], 'e', head - 1))).toEqual([]);
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

  it('a failing history read: 500 for polls, 1011 for a WebSocket, an internal close event for SSE', async () => {
    const errors: unknown[] = [];
    const inner = createMemoryBroker({ epoch: 'e' });
    const broker: Broker = {
      ...inner,
      readAfter: () => Promise.reject(new Error('history store down')),
    };
    const hub = makeHub({ anonymous: true, broker, onError: (e) => errors.push(e) });
    const cursor = await hub.publish('a', 1);
    for (const route of ['poll', 'long-poll']) {
      const response = await hub.handle(request(`${route}?topics=a&cursor=${cursor}`));
      expect(response!.status).toBe(500);
      expect(await response!.text()).not.toContain('history store down');
    }
    const socket = await openWs(hub, `?topics=a&cursor=${cursor}`);
    expect(socket.closed).toEqual({ code: 1011, reason: 'internal' });
    const stream = readSse(await call(hub, `sse?topics=a&cursor=${cursor}`));
    await flush();
    expect(stream.events.at(-1)).toMatchObject({
      event: 'close',
      data: expect.stringContaining('"internal"'),
    });
    expect(stream.done).toBe(true);
    expect(hub.stats().connections.total).toBe(0);
    expect(errors.length).toBe(4);
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
