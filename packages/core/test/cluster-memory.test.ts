import { beforeEach, describe, expect, it } from 'vitest';
import { toResponse, upgrade } from '../src/adapter.ts';
import { type AnyHub, createMemoryBroker, type HubOptions, type Principal } from '../src/index.ts';
import { advance, call, flush, makeHub, openWs, request, useFakeClock } from './support/harness.ts';
import { start } from './support/pending.ts';
import { readSse } from './support/sse-reader.ts';

beforeEach(useFakeClock);

// Identity from the query (`?user=ann&iat=…`), so a test can open any user's connection.
function fromQuery(req: { url: string }): Principal {
  const query = new URL(req.url).searchParams;
  const user = query.get('user');
  const iat = query.get('iat');
  return user ? { id: user, claims: iat ? { iat: Number(iat) } : {} } : {};
}

const GRACE_MS = 2000;

/** `count` hubs sharing one in-memory broker: one cluster. */
function cluster(count: 1, options?: Partial<HubOptions>): [AnyHub];
function cluster(count: 2, options?: Partial<HubOptions>): [AnyHub, AnyHub];
function cluster(count: 3, options?: Partial<HubOptions>): [AnyHub, AnyHub, AnyHub];
function cluster(count: number, options?: Partial<HubOptions>): AnyHub[];
function cluster(count: number, options: Partial<HubOptions> = {}): AnyHub[] {
  const broker = createMemoryBroker();
  return Array.from({ length: count }, () =>
    makeHub({
      authenticate: fromQuery,
      broker,
      presence: (topic) => topic.startsWith('room'),
      presenceGraceMs: GRACE_MS,
      ...options,
    }),
  );
}

/** The presence events a WebSocket received, as `join:ann`, `leave:bob`. */
function presenceOf(socket: { ofType(type: string): Record<string, unknown>[] }): string[] {
  return socket
    .ofType('event')
    .filter((m) => String(m.event).startsWith('tidings:'))
    .map((m) => `${String(m.event).slice('tidings:'.length)}:${(m.data as { user: string }).user}`);
}

describe('maxConnectionsPerUser across hubs sharing one broker', () => {
  it.each([2, 3])(
    'holds across %i hubs, for every transport, and frees the seat when one closes',
    async (n) => {
      const hubs = cluster(n, { maxConnectionsPerUser: 2 });
      const [a, b] = hubs as [AnyHub, AnyHub];
      const last = hubs.at(-1)!;
      const first = await openWs(a, '?topics=x&user=ann');
      readSse(await call(b, 'sse?topics=x&user=ann'));
      // Every hub refuses the third, whatever the transport.
      for (const hub of hubs) {
        expect((await hub.handle(request('sse?topics=x&user=ann'))).status).toBe(429);
        expect((await hub.handle(request('long-poll?topics=x&user=ann'))).status).toBe(429);
        const decision = await upgrade(hub, request('ws?topics=x&user=ann'));
        expect(decision.accepted).toBe(false);
        if (!decision.accepted) expect(toResponse(decision.answer).status).toBe(429);
      }
      // Another user is not affected.
      expect((await call(last, 'sse?topics=x&user=bob')).status).toBe(200);
      first.handlers!.closed();
      await flush();
      const waiting = start(last, 'long-poll?topics=x&user=ann');
      await flush();
      expect(last.stats().connections.longPoll).toBe(1);
      waiting.abort();
    },
  );
});

describe('presence on the in-memory cluster', () => {
  it('counts a user once across tabs and hubs, and lists users across hubs', async () => {
    const [a, b, c] = cluster(3);
    await openWs(a, '?topics=room-1&user=ann');
    await openWs(a, '?topics=room-1&user=ann');
    await openWs(b, '?topics=room-1&user=ann');
    readSse(await call(c, 'sse?topics=room-1&user=bob'));
    await openWs(c, '?topics=other&user=carl');
    await flush();
    for (const hub of [a, b, c]) {
      expect(await hub!.presence('room-1')).toEqual({ users: ['ann', 'bob'], connections: 4 });
    }
    await expect(a.presence('other')).rejects.toThrow(TypeError);
  });

  it('publishes join and leave exactly once per user, on every hub, after the grace period', async () => {
    const [a, b, c] = cluster(3);
    const watcher = await openWs(c, '?topics=room-1&user=watcher');
    await flush();
    const tabs = [
      await openWs(a, '?topics=room-1&user=ann'),
      await openWs(a, '?topics=room-1&user=ann'),
      await openWs(b, '?topics=room-1&user=ann'),
    ];
    const bobStream = readSse(await call(b, 'sse?topics=room-1&user=bob'));
    await flush();
    expect(presenceOf(watcher)).toEqual(['join:watcher', 'join:ann', 'join:bob']);

    // Ann's tabs close one by one; only her last one, after the grace period, is a leave.
    for (const tab of tabs) tab.handlers!.closed();
    await bobStream.cancel();
    await flush();
    await advance(GRACE_MS - 500);
    expect(presenceOf(watcher)).toEqual(['join:watcher', 'join:ann', 'join:bob']);
    await advance(1000);
    expect(presenceOf(watcher)).toEqual(['join:watcher', 'join:ann', 'join:bob', 'leave:ann', 'leave:bob']);
    expect((await a.presence('room-1')).users).toEqual(['watcher']);
  });

  it('a reconnect within the grace period is neither a leave nor a join; long polls do not flap', async () => {
    const [a, b] = cluster(2);
    const watcher = await openWs(a, '?topics=room-1&user=watcher');
    const tab = await openWs(a, '?topics=room-1&user=ann');
    await flush();
    tab.handlers!.closed();
    await advance(GRACE_MS / 2);
    await openWs(a, '?topics=room-1&user=ann');
    for (let i = 0; i < 3; i++) {
      const poll = start(b, 'long-poll?topics=room-1&user=dan&timeout=0');
      await poll.promise;
      await advance(100);
    }
    await advance(GRACE_MS * 2);
    expect(presenceOf(watcher)).toEqual(['join:watcher', 'join:ann', 'join:dan', 'leave:dan']);
  });

  it('the events are in the log: a client resuming from a cursor gets them on every transport', async () => {
    const [a, b] = cluster(2);
    const cursor = a.head();
    await openWs(b, '?topics=room-9&user=ann');
    await flush();
    const polled = (await (await call(a, `poll?topics=room-9&cursor=${cursor}`)).json()) as {
      events: { event: string; data: unknown }[];
    };
    expect(polled.events).toMatchObject([{ event: 'tidings:join', data: { user: 'ann' } }]);
    const sse = readSse(await call(a, `sse?topics=room-9&cursor=${cursor}`));
    await flush();
    expect(sse.events.map((e) => e.event)).toContain('tidings:join');
  });

  it('anonymous connections are not present, and apps cannot publish tidings: events', async () => {
    const [a] = cluster(1);
    await openWs(a, '?topics=room-1');
    await flush();
    expect(await a.presence('room-1')).toEqual({ users: [], connections: 0 });
    await expect(a.publish('room-1', { user: 'x' }, { event: 'tidings:join' })).rejects.toMatchObject({
      code: 'bad_request',
    });
  });

  it('a closing hub gives its presence back at once: the others see the leave', async () => {
    const [a, b] = cluster(2);
    const watcher = await openWs(a, '?topics=room-1&user=watcher');
    await openWs(b, '?topics=room-1&user=ann');
    await flush();
    const closing = b.close();
    await advance(10);
    await closing;
    await flush();
    expect(presenceOf(watcher)).toEqual(['join:watcher', 'join:ann', 'leave:ann']);
    expect((await a.nodes()).map((n) => n.id)).toEqual([a.nodeId]);
  });
});

describe('operator commands reach every hub', () => {
  it('disconnect by user, connection id and topic, with the reason the client is told', async () => {
    const [a, b, c] = cluster(3);
    const annA = await openWs(a, '?topics=x&user=ann');
    const annB = readSse(await call(b, 'sse?topics=x&user=ann'));
    const annPoll = start(c, 'long-poll?topics=x&user=ann');
    const bob = await openWs(c, '?topics=y&user=bob');
    await flush();
    await a.disconnect({ userId: 'ann' });
    await flush();
    expect(annA.closed).toEqual({ code: 1008, reason: 'kicked' });
    expect(annB.events.at(-1)).toMatchObject({ event: 'close', data: '{"code":"kicked","retryMs":2000}' });
    expect(annPoll.response!.status).toBe(403);
    expect(((await annPoll.response!.json()) as { error: { code: string } }).error.code).toBe('kicked');
    expect(bob.isClosed).toBe(false);

    const id = bob.ofType('welcome')[0]!.connectionId as string;
    await b.disconnect({ connectionId: id }, 'unavailable');
    await flush();
    expect(bob.closed).toEqual({ code: 1001, reason: 'unavailable' });

    const subscribers = [await openWs(a, '?topics=z&user=x1'), await openWs(c, '?topics=z&user=x2')];
    const bystander = await openWs(c, '?topics=w&user=x3');
    await b.disconnect({ topic: 'z' }, 'revoked');
    await flush();
    expect(subscribers.map((s) => s.closed)).toEqual([
      { code: 4401, reason: 'revoked' },
      { code: 4401, reason: 'revoked' },
    ]);
    expect(bystander.isClosed).toBe(false);
    await expect(a.disconnect({ userId: 'ann', topic: 'x' } as never)).rejects.toThrow(TypeError);
    await expect(a.disconnect({ userId: 'ann' }, 'bored' as never)).rejects.toThrow(TypeError);
  });

  it('revoke ends the user everywhere and refuses old tokens on every hub until untilMs, not new ones', async () => {
    const [a, b] = cluster(2);
    const issued = Math.floor(Date.now() / 1000);
    const old = await openWs(a, `?topics=x&user=ann&iat=${issued}`);
    const stream = readSse(await call(b, `sse?topics=x&user=ann&iat=${issued}`));
    await a.revoke('ann', Date.now() + 60_000);
    await flush();
    expect(old.closed).toEqual({ code: 4401, reason: 'revoked' });
    expect(stream.events.at(-1)).toMatchObject({ event: 'close', data: '{"code":"revoked","retryMs":0}' });
    for (const hub of [a, b]) {
      const refused = await hub.handle(request(`poll?topics=x&user=ann&iat=${issued}`));
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('revoked');
      // A token issued after the revocation (a new login) is let in; so is anyone else.
      expect((await hub.handle(request(`poll?topics=x&user=ann&iat=${issued + 2}`))).status).toBe(200);
      expect((await hub.handle(request(`poll?topics=x&user=bob&iat=${issued}`))).status).toBe(200);
    }
    // A hub joining later learns the revocation too; after untilMs it is forgotten.
    const broker = createMemoryBroker();
    const [d, e] = [
      makeHub({ authenticate: fromQuery, broker }),
      makeHub({ authenticate: fromQuery, broker }),
    ];
    await d.revoke('ann', Date.now() + 5000);
    const late = makeHub({ authenticate: fromQuery, broker });
    expect((await late.handle(request('poll?topics=x&user=ann'))).status).toBe(401);
    await advance(5001);
    expect((await e.handle(request('poll?topics=x&user=ann'))).status).toBe(200);
    await expect(d.revoke('ann', Math.floor(Date.now() / 1000) + 60)).rejects.toThrow(TypeError);
  });

  it("unsubscribe removes a topic from a user's connections on every hub, and tells the client", async () => {
    const [a, b] = cluster(2);
    const ws = await openWs(a, '?topics=x,y&user=ann');
    const sse = readSse(await call(b, 'sse?topics=x,y&user=ann'));
    const poll = start(b, 'long-poll?topics=x&user=ann');
    const other = await openWs(b, '?topics=x&user=bob');
    await flush();
    await b.unsubscribe({ userId: 'ann' }, 'x');
    await flush();
    expect(ws.ofType('unsubscribed')).toEqual([{ type: 'unsubscribed', topics: ['x'] }]);
    expect(sse.events.at(-1)).toMatchObject({ event: 'unsubscribed', data: '{"topics":["x"]}' });
    expect(poll.response!.status).toBe(200);
    await a.publish('x', 1);
    await a.publish('y', 2);
    await flush();
    expect(ws.ofType('event').map((m) => m.data)).toEqual([2]);
    expect(other.ofType('event').map((m) => m.data)).toEqual([1]);
  });
});

describe('head and nodes', () => {
  it('head() is a cursor that resumes exactly after the events before it', async () => {
    const [a] = cluster(1);
    await a.publish('notes', 'before');
    const cursor = a.head();
    await a.publish('notes', 'after');
    const body = (await (await call(a, `poll?topics=notes&cursor=${cursor}`)).json()) as {
      events: { data: unknown }[];
    };
    expect(body.events.map((e) => e.data)).toEqual(['after']);
  });

  it('nodes() lists every hub of the cluster with its connections', async () => {
    const [a, b] = cluster(2);
    await openWs(b, '?topics=x&user=ann');
    const nodes = await a.nodes();
    expect(nodes.map((n) => n.id).sort()).toEqual([a.nodeId, b.nodeId].sort());
    expect(nodes.find((n) => n.id === b.nodeId)!.connections).toEqual({
      total: 1,
      ws: 1,
      sse: 0,
      longPoll: 0,
    });
  });
});
