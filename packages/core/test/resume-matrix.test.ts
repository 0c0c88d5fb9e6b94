import { beforeEach, describe, expect, it } from 'vitest';
import { toResponse, upgrade } from '../src/adapter.ts';
import { type Broker, parseEventId } from '../src/broker-api.ts';
import { type AnyHub, createMemoryBroker } from '../src/index.ts';
import {
  advance,
  call,
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

const RETENTION = { retentionCount: 5, retentionMs: 60_000 };

/**
 * What a client is told on resume: event ids in order (a partial reset of some topics shows as
 * `lost:<topics>` where it comes), a reset of everything (with its cursor), or a 400.
 */
type Seen = string[] | { reset: string } | 400;

interface Scenario {
  topics: string;
  cursor: string | undefined;
  /** What the resume must yield before any live event. */
  expected: Seen;
  /**
   * After a reset, the events that follow it: on a stream at once, on a poll in the answer to the
   * next poll from the reset's cursor.
   */
  afterReset?: string[];
}

interface Case {
  name: string;
  setup(hub: AnyHub): Promise<Scenario>;
}

function epochOf(id: string): string {
  return parseEventId(id)!.epoch;
}

async function publishMany(hub: AnyHub, topic: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await hub.publish(topic, { topic, i }));
  return ids;
}

const CASES: Case[] = [
  {
    name: 'no cursor: from now, nothing replayed',
    async setup(hub) {
      await publishMany(hub, 'a', 2);
      return { topics: 'a', cursor: undefined, expected: [] };
    },
  },
  {
    name: 'cursor inside retention: the later events on its topics, in order',
    async setup(hub) {
      const [a1] = await publishMany(hub, 'a', 1);
      await hub.publish('b', 'other topic');
      const rest = await publishMany(hub, 'a', 2);
      return { topics: 'a', cursor: a1, expected: rest };
    },
  },
  {
    name: 'cursor inside retention on two topics: both, interleaved in publish order',
    async setup(hub) {
      const cursor = await hub.publish('a', 0);
      const b1 = await hub.publish('b', 1);
      await hub.publish('c', 'not asked for');
      const a2 = await hub.publish('a', 2);
      return { topics: 'a,b', cursor, expected: [b1, a2] };
    },
  },
  {
    name: 'cursor at head: nothing',
    async setup(hub) {
      const ids = await publishMany(hub, 'a', 3);
      return { topics: 'a', cursor: ids[2], expected: [] };
    },
  },
  {
    name: 'cursor beyond head: reset to head',
    async setup(hub) {
      const [a1] = await publishMany(hub, 'a', 1);
      const head = await headOf(hub);
      return {
        topics: 'a',
        cursor: `${epochOf(a1!)}-${parseEventId(head)!.seq + 5}`,
        expected: { reset: head },
      };
    },
  },
  {
    name: 'evicted by count: the topic is reset, what it retains follows',
    async setup(hub) {
      const ids = await publishMany(hub, 'a', 7);
      return { topics: 'a', cursor: ids[0], expected: ['lost:a', ...ids.slice(2)] };
    },
  },
  {
    name: 'evicted by count on one of two topics: that one is reset, the other replays in full',
    async setup(hub) {
      const cursor = await hub.publish('a', 0);
      const b1 = await hub.publish('b', 1);
      const a = await publishMany(hub, 'a', 6);
      return { topics: 'a,b', cursor, expected: ['lost:a', b1, ...a.slice(1)] };
    },
  },
  {
    name: 'a busy topic writing 100x the retention: the quiet topic resumes without a reset',
    async setup(hub) {
      const cursor = await hub.publish('quiet', 0);
      await publishMany(hub, 'busy', 500);
      const quiet = await hub.publish('quiet', 1);
      await publishMany(hub, 'busy', 5);
      return { topics: 'quiet', cursor, expected: [quiet] };
    },
  },
  {
    name: 'evicted by count on other topics only: no reset, nothing lost',
    async setup(hub) {
      const [a1] = await publishMany(hub, 'a', 1);
      const b = await publishMany(hub, 'b', 6);
      const a2 = await hub.publish('a', 'kept');
      expect(b.length).toBe(6);
      return { topics: 'a', cursor: a1, expected: [a2] };
    },
  },
  {
    name: 'evicted by age: the topic is reset, what it retains follows',
    async setup(hub) {
      const [a1] = await publishMany(hub, 'a', 2);
      await advance(61_000);
      const [a3] = await publishMany(hub, 'a', 1);
      return { topics: 'a', cursor: a1, expected: ['lost:a', a3!] };
    },
  },
  {
    name: 'aged out up to the cursor exactly: what follows is still retained',
    async setup(hub) {
      const [, a2] = await publishMany(hub, 'a', 2);
      await advance(61_000);
      const [a3] = await publishMany(hub, 'a', 1);
      return { topics: 'a', cursor: a2, expected: [a3!] };
    },
  },
  {
    // The log was lost (a flush, a restart without persistence): the client goes on from the start
    // of the new epoch and gets what it retains, rather than skipping to head.
    name: 'cursor from another epoch: reset to the start of this epoch, its events follow',
    async setup(hub) {
      const ids = await publishMany(hub, 'a', 2);
      const start = `${epochOf(ids[0]!)}-0`;
      return { topics: 'a', cursor: 'anotherlife-1', expected: { reset: start }, afterReset: ids };
    },
  },
  {
    name: 'malformed cursor: 400',
    async setup(hub) {
      await publishMany(hub, 'a', 1);
      return { topics: 'a', cursor: 'not a cursor!', expected: 400 };
    },
  },
  {
    name: 'unknown topic: nothing, and no reset',
    async setup(hub) {
      const [a1] = await publishMany(hub, 'a', 2);
      return { topics: 'nobody-here', cursor: a1, expected: [] };
    },
  },
];

function query(s: Scenario): string {
  return `?topics=${s.topics}${s.cursor === undefined ? '' : `&cursor=${encodeURIComponent(s.cursor)}`}`;
}

function fromPoll(body: {
  events: { id: string }[];
  cursor: string;
  reset?: true;
  resetTopics?: string[];
}): Seen {
  if (body.reset) {
    expect(body.events).toEqual([]);
    return { reset: body.cursor };
  }
  const ids = body.events.map((e) => e.id);
  return body.resetTopics ? [`lost:${body.resetTopics}`, ...ids] : ids;
}

/** A WebSocket message as the scenario sees it. */
function fromWs(m: Record<string, unknown>): string | { reset: string } {
  if (m.type !== 'reset') return m.id as string;
  return m.topics ? `lost:${m.topics}` : { reset: m.cursor as string };
}

/** The first topic of the scenario, where the live event goes. */
const liveTopic = (s: Scenario) => s.topics.split(',')[0]!;

describe.each(CASES)('resume: $name', ({ setup }) => {
  it('short poll', async () => {
    const hub = makeHub({ anonymous: true, ...RETENTION });
    const s = await setup(hub);
    const head = await headOf(hub);
    const response = await hub.handle(request(`poll${query(s)}`));
    if (s.expected === 400) {
      expect(response!.status).toBe(400);
      expect(((await response!.json()) as { error: { code: string } }).error.code).toBe('bad_request');
      return;
    }
    const body = await pollBody(response!);
    expect(fromPoll(body)).toEqual(s.expected);
    if (s.afterReset) {
      const next = await hub.handle(request(`poll?topics=${s.topics}&cursor=${body.cursor}`));
      expect(fromPoll(await pollBody(next!))).toEqual(s.afterReset);
    }
    // The cursor to send next time: the last event, else where the client was (or head without one).
    if (Array.isArray(s.expected)) {
      const ids = s.expected.filter((id) => !id.startsWith('lost:'));
      expect(body.cursor).toBe(ids.at(-1) ?? s.cursor ?? head);
    }
  });

  it('long poll', async () => {
    const hub = makeHub({ anonymous: true, ...RETENTION });
    const s = await setup(hub);
    const waiting = start(hub, `long-poll${query(s)}`);
    await advance(0);
    if (s.expected === 400) {
      expect(waiting.response!.status).toBe(400);
      return;
    }
    if (Array.isArray(s.expected) && s.expected.length === 0) {
      // Nothing pending: it waits, and the first live event answers it.
      expect(waiting.settled).toBe(false);
      const live = await hub.publish(liveTopic(s), 'live');
      await advance(0);
      expect(fromPoll(await pollBody(waiting.response!))).toEqual([live]);
      return;
    }
    expect(waiting.settled).toBe(true);
    const body = await pollBody(waiting.response!);
    expect(fromPoll(body)).toEqual(s.expected);
    if (s.afterReset) {
      // From the reset's cursor, a long poll that is behind is answered at once from the log.
      const next = start(hub, `long-poll?topics=${s.topics}&cursor=${body.cursor}`);
      await advance(0);
      expect(fromPoll(await pollBody(next.response!))).toEqual(s.afterReset);
    }
  });

  it('SSE', async () => {
    const hub = makeHub({ anonymous: true, ...RETENTION });
    const s = await setup(hub);
    const response = await call(hub, `sse${query(s)}`);
    if (s.expected === 400) {
      expect(response.status).toBe(400);
      expect(hub.stats().connections.total).toBe(0);
      return;
    }
    const sse = readSse(response);
    await flush();
    const live = await hub.publish(liveTopic(s), 'live');
    await flush();
    const seen: (string | { reset: string })[] = sse.events.map((e) => {
      if (e.event !== 'reset') return e.id;
      const { cursor, topics } = JSON.parse(e.data) as { cursor: string; topics?: string[] };
      // A partial reset does not move the browser's Last-Event-ID; a full one moves it to the head.
      if (topics) {
        expect(e.id).toBe('');
        return `lost:${topics}`;
      }
      expect(e.id).toBe(cursor);
      return { reset: cursor };
    });
    const expected = Array.isArray(s.expected)
      ? [...s.expected, live]
      : [s.expected, ...(s.afterReset ?? []), live];
    expect(seen).toEqual(expected);
  });

  it('WebSocket (cursor in the URL)', async () => {
    const hub = makeHub({ anonymous: true, ...RETENTION });
    const s = await setup(hub);
    const head = await headOf(hub);
    if (s.expected === 400) {
      const decision = await upgrade(hub, request(`ws${query(s)}`));
      expect(decision.accepted).toBe(false);
      if (!decision.accepted) expect(toResponse(decision.answer).status).toBe(400);
      expect(hub.stats().connections.total).toBe(0);
      return;
    }
    const socket = await openWs(hub, query(s));
    const live = await hub.publish(liveTopic(s), 'live');
    const [welcome, ...rest] = socket.messages();
    expect(welcome).toMatchObject({ type: 'welcome', cursor: head });
    const seen = rest.map(fromWs);
    const expected = Array.isArray(s.expected)
      ? [...s.expected, live]
      : [s.expected, ...(s.afterReset ?? []), live];
    expect(seen).toEqual(expected);
  });

  it('WebSocket (subscribe message with a cursor)', async () => {
    const hub = makeHub({ anonymous: true, ...RETENTION });
    const s = await setup(hub);
    const socket = await openWs(hub, '');
    const message: Record<string, unknown> = { type: 'subscribe', topics: s.topics.split(',') };
    if (s.cursor !== undefined) message.cursor = s.cursor;
    socket.send(message);
    await flush();
    if (s.expected === 400) {
      expect(socket.ofType('error')).toEqual([
        { type: 'error', code: 'bad_request', message: expect.any(String) },
      ]);
      expect(socket.isClosed).toBe(false);
      expect(hub.stats().connections.ws).toBe(1);
      return;
    }
    const live = await hub.publish(liveTopic(s), 'live');
    const seen = socket.messages().slice(1).map(fromWs);
    const expected = Array.isArray(s.expected)
      ? [...s.expected, live]
      : [s.expected, ...(s.afterReset ?? []), live];
    expect(seen).toEqual(expected);
  });
});

/** A memory broker whose history reads wait for `release()`, so live events land during a replay. */
function slowHistoryBroker(): { broker: Broker; release(): void } {
  const inner = createMemoryBroker();
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const broker: Broker = {
    publish: (input) => inner.publish(input),
    subscribe: (listener) => inner.subscribe(listener),
    head: () => inner.head(),
    async readAfter(topics, epoch, afterSeq) {
      await gate;
      return inner.readAfter(topics, epoch, afterSeq);
    },
  };
  return { broker, release: open };
}

describe('replay comes before live events, and no id twice', () => {
  it('SSE: events published while the history read is in flight go out once, after the replay', async () => {
    const { broker, release } = slowHistoryBroker();
    const hub = makeHub({ anonymous: true, broker });
    const cursor = await hub.publish('a', 0);
    const missed = await hub.publish('a', 1);
    const sse = readSse(await call(hub, `sse?topics=a&cursor=${cursor}`));
    await flush();
    const during = await hub.publish('a', 2);
    await flush();
    expect(sse.events).toEqual([]);
    release();
    await flush();
    const after = await hub.publish('a', 3);
    await flush();
    expect(sse.events.map((e) => e.id)).toEqual([missed, during, after]);
  });

  it('WebSocket: the same, after the welcome', async () => {
    const { broker, release } = slowHistoryBroker();
    const hub = makeHub({ anonymous: true, broker });
    const cursor = await hub.publish('a', 0);
    const missed = await hub.publish('a', 1);
    const socket = await openWs(hub, `?topics=a&cursor=${cursor}`);
    const during = await hub.publish('a', 2);
    expect(socket.eventIds()).toEqual([]);
    release();
    await flush();
    expect(socket.messages()[0]!.type).toBe('welcome');
    expect(socket.eventIds()).toEqual([missed, during]);
  });

  it('long poll: one answer with the missed and the concurrent event, each once', async () => {
    const { broker, release } = slowHistoryBroker();
    const hub = makeHub({ anonymous: true, broker });
    const cursor = await hub.publish('a', 0);
    const missed = await hub.publish('a', 1);
    const waiting = start(hub, `long-poll?topics=a&cursor=${cursor}`);
    await flush();
    const during = await hub.publish('a', 2);
    await advance(0);
    expect(waiting.settled).toBe(false);
    release();
    await advance(0);
    const body = await pollBody(waiting.response!);
    expect(body.events.map((e) => e.id)).toEqual([missed, during]);
    expect(body.cursor).toBe(during);
  });

  it('WebSocket: re-subscribing with an old cursor sends older events of a new topic, never repeats', async () => {
    const hub = makeHub({ anonymous: true });
    const cursor = await headOf(hub);
    const socket = await openWs(hub, '?topics=a');
    const b1 = await hub.publish('b', 1);
    const a1 = await hub.publish('a', 1);
    expect(socket.eventIds()).toEqual([a1]);
    socket.send({ type: 'subscribe', topics: ['a', 'b'], cursor });
    await flush();
    // b1 predates a1 but was never sent here; a1 must not come again.
    expect(socket.eventIds()).toEqual([a1, b1]);
    const b2 = await hub.publish('b', 2);
    expect(socket.eventIds()).toEqual([a1, b1, b2]);
  });

  it('a broker reset tells every connection to reset to its head', async () => {
    const inner = createMemoryBroker();
    let resetAll!: (head: { epoch: string; seq: number }) => void;
    const broker: Broker = {
      ...inner,
      subscribe(listener) {
        resetAll = (head) => listener.reset(head);
        return inner.subscribe(listener);
      },
    };
    const hub = makeHub({ anonymous: true, broker });
    const socket = await openWs(hub, '?topics=a');
    const sse = readSse(await call(hub, 'sse?topics=a'));
    const waiting = start(hub, 'long-poll?topics=a');
    await flush();
    resetAll({ epoch: 'newlife', seq: 7 });
    await flush();
    expect(socket.ofType('reset')).toEqual([{ type: 'reset', cursor: 'newlife-7' }]);
    expect(sse.events.at(-1)).toEqual({ id: 'newlife-7', event: 'reset', data: '{"cursor":"newlife-7"}' });
    expect(await pollBody(waiting.response!)).toEqual({ events: [], cursor: 'newlife-7', reset: true });
    expect(hub.stats().resets).toBe(3);
  });
});
