import { beforeEach, describe, expect, it } from 'vitest';
import { toResponse, upgrade } from '../src/adapter.ts';
import { FakeSocket } from './support/fake-socket.ts';
import {
  advance,
  expectError,
  flush,
  headOf,
  makeHub,
  openWs,
  request,
  useFakeClock,
} from './support/harness.ts';

beforeEach(useFakeClock);

const authorize = () => true;

describe('WebSocket session', () => {
  it('sends welcome first, with a connection id, the head cursor and the heartbeat', async () => {
    const hub = makeHub({ anonymous: true, heartbeatMs: 20_000 });
    await hub.publish('a', 'before');
    const head = await headOf(hub);
    const socket = await openWs(hub, '?topics=a');
    expect(socket.messages()).toEqual([
      { type: 'welcome', connectionId: expect.any(String), cursor: head, heartbeat: 20_000 },
    ]);
    const other = await openWs(hub, '?topics=a');
    expect(other.messages()[0]!.connectionId).not.toBe(socket.messages()[0]!.connectionId);
    expect(hub.stats().connections).toEqual({ total: 2, ws: 2, sse: 0, longPoll: 0 });
  });

  it('delivers events on its topics as {"type":"event",…envelope}', async () => {
    const hub = makeHub({ anonymous: true });
    const socket = await openWs(hub, '?topics=a,b');
    const id = await hub.publish('a', { deep: { list: [1, 2] } }, { event: 'tick' });
    await hub.publish('c', 'elsewhere');
    expect(socket.messages().slice(1)).toEqual([
      { type: 'event', id, topic: 'a', event: 'tick', data: { deep: { list: [1, 2] } } },
    ]);
  });

  it('works with no topics in the URL, then subscribe and unsubscribe by message', async () => {
    const hub = makeHub({ anonymous: true });
    const socket = await openWs(hub, '');
    socket.send({ type: 'subscribe', topics: ['a', 'b'] });
    await flush();
    expect(hub.stats().topics).toBe(2);
    const a1 = await hub.publish('a', 1);
    const b1 = await hub.publish('b', 1);
    socket.send({ type: 'unsubscribe', topics: ['a'] });
    await flush();
    await hub.publish('a', 2);
    const b2 = await hub.publish('b', 2);
    expect(socket.eventIds()).toEqual([a1, b1, b2]);
    expect(hub.stats().topics).toBe(1);
  });

  it('publish with a ref is acked with the id and reaches subscribers (authorize allowing publish)', async () => {
    const hub = makeHub({ anonymous: true, authorize });
    const listener = await openWs(hub, '?topics=chat');
    const sender = await openWs(hub, '');
    sender.send({ type: 'publish', topic: 'chat', event: 'say', data: { text: 'hi' }, ref: 'r1' });
    await flush();
    const [ack] = sender.ofType('ack');
    expect(ack).toEqual({ type: 'ack', ref: 'r1', id: expect.any(String) });
    expect(listener.messages().slice(1)).toEqual([
      { type: 'event', id: ack!.id, topic: 'chat', event: 'say', data: { text: 'hi' } },
    ]);
    // Without a ref there is nothing to ack.
    sender.send({ type: 'publish', topic: 'chat', data: 2 });
    await flush();
    expect(sender.ofType('ack').length).toBe(1);
    expect(listener.eventIds().length).toBe(2);
  });

  it('publish is refused with a forbidden error frame by the default authorize, and the socket lives on', async () => {
    const hub = makeHub({ anonymous: true });
    const socket = await openWs(hub, '?topics=a');
    socket.send({ type: 'publish', topic: 'a', data: 1, ref: 'x' });
    await flush();
    expect(socket.ofType('error')).toEqual([
      { type: 'error', code: 'forbidden', message: expect.any(String), ref: 'x' },
    ]);
    expect(hub.stats().published).toBe(0);
    expect(socket.isClosed).toBe(false);
  });

  it('subscribing to a topic authorize refuses gets a forbidden error naming it, other topics are unaffected', async () => {
    const hub = makeHub({ anonymous: true, authorize: (_p, topic) => !topic.startsWith('secret') });
    const socket = await openWs(hub, '?topics=a');
    socket.send({ type: 'subscribe', topics: ['secret', 'b', 'secret.2'] });
    await flush();
    expect(socket.ofType('error')).toEqual([
      { type: 'error', code: 'forbidden', message: expect.any(String), topics: ['secret', 'secret.2'] },
    ]);
    await hub.publish('secret', 1);
    const a = await hub.publish('a', 1);
    expect(socket.eventIds()).toEqual([a]);
  });

  it('answers a {"type":"ping"} with {"type":"pong"}', async () => {
    const hub = makeHub({ anonymous: true });
    const socket = await openWs(hub, '');
    socket.send({ type: 'ping' });
    await flush();
    expect(socket.messages().at(-1)).toEqual({ type: 'pong' });
  });

  it('malformed and unknown messages get an error frame and the connection lives on', async () => {
    const hub = makeHub({ anonymous: true });
    const socket = await openWs(hub, '?topics=a');
    const bad: unknown[] = [
      'not json',
      '[1,2]',
      '"text"',
      'null',
      { type: 'dance' },
      { type: 'subscribe' },
      { type: 'subscribe', topics: [] },
      { type: 'subscribe', topics: ['bad topic'] },
      { type: 'subscribe', topics: ['a'], cursor: 7 },
      { type: 'publish', topic: 'a' },
      { type: 'publish', topic: 'a', data: 1, event: 'bad\nname' },
      { type: 'publish', topic: 'a', data: 1, ref: 7 },
      { __proto__: { type: 'ping' } },
    ];
    for (const message of bad) socket.send(message);
    await flush();
    const errors = socket.ofType('error');
    expect(errors.length).toBe(bad.length);
    for (const error of errors) {
      expect(error).toMatchObject({ type: 'error', code: 'bad_request' });
      expect((error.message as string).length).toBeGreaterThan(0);
    }
    expect(socket.isClosed).toBe(false);
    const id = await hub.publish('a', 1);
    expect(socket.eventIds()).toEqual([id]);
  });

  it('an error for a message with a readable ref carries that ref', async () => {
    const hub = makeHub({ anonymous: true, authorize });
    const socket = await openWs(hub, '');
    socket.send({ type: 'publish', topic: 'bad topic', data: 1, ref: 'mine' });
    await flush();
    expect(socket.ofType('error')).toEqual([
      { type: 'error', code: 'bad_request', message: expect.any(String), ref: 'mine' },
    ]);
  });

  it('a binary frame gets an error frame', async () => {
    const hub = makeHub({ anonymous: true });
    const socket = await openWs(hub, '?topics=a');
    socket.handlers!.message('{"type":"ping"}', true);
    await flush();
    expect(socket.ofType('error')).toEqual([
      { type: 'error', code: 'bad_request', message: expect.any(String) },
    ]);
    expect(socket.ofType('pong')).toEqual([]);
    expect(socket.isClosed).toBe(false);
  });

  it('a binary message over maxMessageBytes closes with 1009, as a text one does', async () => {
    const hub = makeHub({ anonymous: true, maxMessageBytes: 1024 });
    const atLimit = await openWs(hub, '?topics=a');
    atLimit.handlers!.message('', true, 1024);
    await flush();
    expect(atLimit.ofType('error')).toEqual([
      { type: 'error', code: 'bad_request', message: expect.any(String) },
    ]);
    expect(atLimit.isClosed).toBe(false);
    const over = await openWs(hub, '?topics=a');
    over.handlers!.message('', true, 1025);
    await flush();
    expect(over.ofType('error')).toEqual([]);
    expect(over.closed).toEqual({ code: 1009, reason: 'payload_too_large' });
  });

  it('a flood of bad messages beyond maxErrorsPerInterval is closed with 1008', async () => {
    const hub = makeHub({ anonymous: true, maxErrorsPerInterval: 3 });
    const socket = await openWs(hub, '?topics=a');
    for (let i = 0; i < 3; i++) socket.send('garbage');
    await flush();
    expect(socket.ofType('error').length).toBe(3);
    expect(socket.isClosed).toBe(false);
    socket.send('garbage');
    await flush();
    expect(socket.closed).toEqual({ code: 1008, reason: 'policy_violation' });
    expect(hub.stats().connections.total).toBe(0);
  });

  it('the error budget renews every heartbeat interval', async () => {
    const hub = makeHub({ anonymous: true, maxErrorsPerInterval: 2, heartbeatMs: 10_000 });
    const socket = await openWs(hub, '');
    socket.send('bad');
    socket.send('bad');
    await advance(10_000);
    socket.send('bad');
    socket.send('bad');
    await flush();
    expect(socket.ofType('error').length).toBe(4);
    expect(socket.isClosed).toBe(false);
  });

  it('publishing faster than maxPublishesPerSecond gets rate_limited errors, and the next second is fine', async () => {
    const hub = makeHub({ anonymous: true, authorize, maxPublishesPerSecond: 2 });
    const socket = await openWs(hub, '');
    for (let i = 0; i < 3; i++) socket.send({ type: 'publish', topic: 'a', data: i, ref: `r${i}` });
    await flush();
    expect(socket.ofType('ack').map((m) => m.ref)).toEqual(['r0', 'r1']);
    expect(socket.ofType('error')).toEqual([
      { type: 'error', code: 'rate_limited', message: expect.any(String), ref: 'r2' },
    ]);
    expect(hub.stats().published).toBe(2);
    await advance(1_000);
    socket.send({ type: 'publish', topic: 'a', data: 3, ref: 'r3' });
    await flush();
    expect(socket.ofType('ack').map((m) => m.ref)).toEqual(['r0', 'r1', 'r3']);
    expect(socket.isClosed).toBe(false);
  });

  it('a message over maxMessageBytes closes with 1009', async () => {
    const hub = makeHub({ anonymous: true, authorize, maxMessageBytes: 100 });
    const socket = await openWs(hub, '');
    socket.send({ type: 'publish', topic: 'a', data: 'x'.repeat(200) });
    await flush();
    expect(socket.closed?.code).toBe(1009);
    expect(hub.stats().published).toBe(0);
  });

  it('publish data over maxMessageBytes in UTF-8 bytes is refused with payload_too_large', async () => {
    const hub = makeHub({ anonymous: true, authorize, maxMessageBytes: 200 });
    const socket = await openWs(hub, '');
    // 70 characters but 212 bytes of JSON data, inside a frame of under 200 characters.
    socket.send({ type: 'publish', topic: 'a', data: '€'.repeat(70), ref: 'big' });
    await flush();
    expect(socket.ofType('error')).toEqual([
      { type: 'error', code: 'payload_too_large', message: expect.any(String), ref: 'big' },
    ]);
  });

  it('subscribing beyond maxTopicsPerConnection is refused with an error frame', async () => {
    const hub = makeHub({ anonymous: true, maxTopicsPerConnection: 3 });
    const socket = await openWs(hub, '?topics=a,b');
    socket.send({ type: 'subscribe', topics: ['c', 'd'] });
    await flush();
    expect(socket.ofType('error')).toEqual([
      { type: 'error', code: 'bad_request', message: expect.any(String) },
    ]);
    expect(hub.stats().topics).toBe(2);
    socket.send({ type: 'subscribe', topics: ['a', 'c'] });
    await flush();
    expect(hub.stats().topics).toBe(3);
  });

  it('the peer closing frees the slot and its topics; messages after that are ignored', async () => {
    const hub = makeHub({ anonymous: true });
    const socket = await openWs(hub, '?topics=a');
    socket.handlers!.closed();
    expect(hub.stats().connections.total).toBe(0);
    expect(hub.stats().topics).toBe(0);
    socket.send({ type: 'ping' });
    await hub.publish('a', 1);
    expect(socket.frames.length).toBe(1);
  });

  it('an upgrade that fails after the decision is aborted and frees the slot', async () => {
    const hub = makeHub({ anonymous: true });
    const decision = await upgrade(hub, request('ws?topics=a'));
    expect(decision.accepted).toBe(true);
    expect(hub.stats().connections.ws).toBe(1);
    if (decision.accepted) decision.abort();
    expect(hub.stats().connections.total).toBe(0);
  });

  it('upgrades are refused before they happen: bad topics 400, non-GET 405', async () => {
    const hub = makeHub({ anonymous: true });
    const bad = await upgrade(hub, request('ws?topics=no%20spaces'));
    expect(bad.accepted).toBe(false);
    if (!bad.accepted) await expectError(hub, toResponse(bad.answer), 400, 'bad_request');
    const post = await upgrade(hub, request('ws?topics=a', { method: 'POST' }));
    expect(post.accepted).toBe(false);
    if (!post.accepted) await expectError(hub, toResponse(post.answer), 405, 'method_not_allowed');
  });

  it('a closed-but-not-yet-reported socket gets nothing more', async () => {
    const hub = makeHub({ anonymous: true, maxErrorsPerInterval: 1 });
    const decision = await upgrade(hub, request('ws?topics=a'));
    if (!decision.accepted) throw new Error('refused');
    const socket = new FakeSocket({ autoClose: false });
    socket.handlers = decision.accept(socket.port);
    await flush();
    socket.send('bad');
    socket.send('bad');
    await flush();
    expect(socket.closed?.code).toBe(1008);
    // The hub keeps the slot until the adapter reports the socket closed, but sends nothing more.
    await hub.publish('a', 1);
    socket.send({ type: 'ping' });
    await flush();
    expect(socket.messages().map((m) => m.type)).toEqual(['welcome', 'error']);
    socket.handlers.closed();
    expect(hub.stats().connections.total).toBe(0);
  });
});
