import { beforeEach, describe, expect, it } from 'vitest';
import type { Broker, PublishInput } from '../src/broker-api.ts';
import { type AnyHub, createHub, createMemoryBroker } from '../src/index.ts';
import { decodeClientMessage } from '../src/protocol/codec.ts';
import {
  advance,
  call,
  expectError,
  flush,
  headOf,
  makeHub,
  openWs,
  pollBody,
  useFakeClock,
} from './support/harness.ts';

beforeEach(useFakeClock);

const authorize = () => true;
// A token is the principal's id, or `anon` for an anonymous principal.
const authenticate = (_request: unknown, token: string | undefined) =>
  token === undefined ? null : token === 'anon' ? {} : { id: token };
const as = (token: string) => ({ init: { headers: { authorization: `Bearer ${token}` } } });

/** `POST publish` with an optional Idempotency-Key header. */
function post(hub: AnyHub, body: unknown, key?: string, token = 'ann') {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (key !== undefined) headers['idempotency-key'] = key;
  return call(hub, 'publish', { method: 'POST', headers, body: JSON.stringify(body) });
}

/** Every event after `cursor` on `topic`, as a short poll returns them. */
async function eventsAfter(hub: AnyHub, topic: string, cursor: string) {
  const answer = await call(hub, `poll?topics=${topic}&cursor=${cursor}`, {
    headers: { authorization: 'Bearer ann' },
  });
  return (await pollBody(answer)).events;
}

describe('hub.publish with an idempotencyKey', () => {
  it('publishes once and resolves every repeat within the window to the first id', async () => {
    const hub = makeHub({ anonymous: true });
    const cursor = await headOf(hub);
    const first = await hub.publish('a', { n: 1 }, { idempotencyKey: 'order-1' });
    const again = await hub.publish('a', { n: 2 }, { idempotencyKey: 'order-1' });
    const other = await hub.publish('a', { n: 3 }, { idempotencyKey: 'order-2' });
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    const events = (await pollBody(await call(hub, `poll?topics=a&cursor=${cursor}`))).events;
    expect(events.map((e) => e.data)).toEqual([{ n: 1 }, { n: 3 }]);
    expect(hub.stats().published).toBe(2);
  });

  it('forgets a key once idempotencyWindowMs has passed: the same key publishes again', async () => {
    const hub = makeHub({ anonymous: true, idempotencyWindowMs: 60_000 });
    const first = await hub.publish('a', 1, { idempotencyKey: 'k' });
    await advance(59_000);
    expect(await hub.publish('a', 2, { idempotencyKey: 'k' })).toBe(first);
    await advance(2000);
    const later = await hub.publish('a', 3, { idempotencyKey: 'k' });
    expect(later).not.toBe(first);
    expect(await hub.publish('a', 4, { idempotencyKey: 'k' })).toBe(later);
  });

  it('refuses a malformed key and a broker without keys with a TypeError, publishing nothing', async () => {
    const hub = makeHub({ anonymous: true });
    for (const key of ['', 'x'.repeat(129), 'with space', 'é', 7]) {
      await expect(hub.publish('a', 1, { idempotencyKey: key as string })).rejects.toThrow(TypeError);
    }
    const memory = createMemoryBroker();
    const { idempotent: _, ...withoutKeys } = memory;
    const plain = makeHub({ anonymous: true, broker: withoutKeys as Broker });
    await expect(plain.publish('a', 1, { idempotencyKey: 'k' })).rejects.toThrow(/idempotency/);
    expect(plain.stats().published + hub.stats().published).toBe(0);
  });

  it('hands the broker the key scoped to server code, with the window', async () => {
    const memory = createMemoryBroker();
    const seen: PublishInput[] = [];
    const broker: Broker = {
      ...memory,
      publish(input) {
        seen.push(input);
        return memory.publish(input);
      },
    };
    const hub = makeHub({ anonymous: true, broker, idempotencyWindowMs: 5000 });
    await hub.publish('a', 1, { idempotencyKey: 'k' });
    await hub.publish('a', 2);
    expect(seen[0]!.idempotency).toEqual({ key: 's:k', windowMs: 5000 });
    expect('idempotency' in seen[1]!).toBe(false);
  });

  it('idempotencyWindowMs must be a positive integer', () => {
    for (const idempotencyWindowMs of [0, -1, 1.5, Number.NaN]) {
      expect(() => createHub({ anonymous: true, idempotencyWindowMs })).toThrow(TypeError);
    }
  });
});

describe('the WebSocket publish key', () => {
  it('acks a repeat with the first id and "duplicate":true, and subscribers get one event', async () => {
    const hub = makeHub({ authenticate, authorize });
    const listener = await openWs(hub, '?topics=chat', as('bob'));
    const sender = await openWs(hub, '', as('ann'));
    sender.send({ type: 'publish', topic: 'chat', data: 'hi', ref: 'r1', key: 'm-1' });
    sender.send({ type: 'publish', topic: 'chat', data: 'hi', ref: 'r2', key: 'm-1' });
    sender.send({ type: 'publish', topic: 'chat', data: 'hi', key: 'm-1' });
    await flush();
    const [first, second] = sender.ofType('ack');
    expect(first).toEqual({ type: 'ack', ref: 'r1', id: expect.any(String) });
    expect(second).toEqual({ type: 'ack', ref: 'r2', id: first!.id, duplicate: true });
    expect(sender.ofType('ack')).toHaveLength(2);
    expect(listener.eventIds()).toEqual([first!.id]);
    expect(hub.stats().published).toBe(1);
  });

  it('is one scope per principal: across connections, never across principals or server code', async () => {
    const hub = makeHub({ authenticate, authorize });
    const server = await hub.publish('chat', 0, { idempotencyKey: 'k' });
    const ann1 = await openWs(hub, '', as('ann'));
    const ann2 = await openWs(hub, '', as('ann'));
    const bob = await openWs(hub, '', as('bob'));
    // An id with a colon must not meet another principal's key: `a:1` + `x` vs `a` + `1:x`.
    const colon = await openWs(hub, '', as('a:1'));
    const plainA = await openWs(hub, '', as('a'));
    const send = async (socket: typeof ann1, key: string) => {
      socket.send({ type: 'publish', topic: 'chat', data: 1, ref: 'r', key });
      await flush();
      return socket.ofType('ack').at(-1)!;
    };
    const annFirst = await send(ann1, 'k');
    expect(annFirst.id).not.toBe(server);
    expect(await send(ann2, 'k')).toEqual({ type: 'ack', ref: 'r', id: annFirst.id, duplicate: true });
    expect((await send(bob, 'k')).id).not.toBe(annFirst.id);
    const colonAck = await send(colon, 'x');
    const plainAck = await send(plainA, '1:x');
    expect(plainAck.duplicate).toBeUndefined();
    expect(plainAck.id).not.toBe(colonAck.id);
    expect(hub.stats().published).toBe(5);
  });

  it('anonymous clients share one scope (their keys must be unguessable)', async () => {
    const hub = makeHub({ authenticate, authorize });
    const one = await openWs(hub, '', as('anon'));
    const two = await openWs(hub, '', as('anon'));
    one.send({ type: 'publish', topic: 'chat', data: 1, ref: 'r', key: 'uuid-1' });
    await flush();
    two.send({ type: 'publish', topic: 'chat', data: 1, ref: 'r', key: 'uuid-1' });
    await flush();
    expect(two.ofType('ack')[0]).toEqual({ ...one.ofType('ack')[0], duplicate: true });
  });

  it('a malformed key is a bad_request error frame with the ref, and nothing is published', async () => {
    const hub = makeHub({ anonymous: true, authorize });
    const socket = await openWs(hub, '');
    for (const key of ['', 'x'.repeat(129), 'a b', 12, null]) {
      socket.send({ type: 'publish', topic: 'chat', data: 1, ref: 'bad', key });
    }
    await flush();
    const errors = socket.ofType('error');
    expect(errors).toHaveLength(5);
    for (const error of errors) expect(error).toMatchObject({ code: 'bad_request', ref: 'bad' });
    expect(String(errors[0]!.message)).toMatch(/key/);
    expect(hub.stats().published).toBe(0);
  });

  it('the codec keeps a valid key and refuses others', () => {
    const decoded = decodeClientMessage('{"type":"publish","topic":"a","data":1,"key":"0f3c-9:/._~"}', 32);
    expect(decoded).toEqual({
      ok: true,
      message: { type: 'publish', topic: 'a', data: 1, key: '0f3c-9:/._~' },
    });
    expect(decodeClientMessage('{"type":"publish","topic":"a","data":1,"key":"a%b","ref":"q"}', 32)).toEqual({
      ok: false,
      reason: expect.stringMatching(/^key must be/),
      ref: 'q',
    });
  });

  it('a broker without keys: a bad_request error frame, the socket lives on', async () => {
    const { idempotent: _, ...withoutKeys } = createMemoryBroker();
    const hub = makeHub({ anonymous: true, authorize, broker: withoutKeys as Broker });
    const socket = await openWs(hub, '');
    socket.send({ type: 'publish', topic: 'chat', data: 1, ref: 'r', key: 'k' });
    socket.send({ type: 'publish', topic: 'chat', data: 2, ref: 'r2' });
    await flush();
    expect(socket.ofType('error')).toEqual([
      { type: 'error', code: 'bad_request', message: expect.stringMatching(/idempotency/), ref: 'r' },
    ]);
    expect(socket.ofType('ack')).toEqual([{ type: 'ack', ref: 'r2', id: expect.any(String) }]);
  });
});

describe('the Idempotency-Key header of POST publish', () => {
  it('answers a repeat with 202 {"id","duplicate":true} and the first id; one event', async () => {
    const hub = makeHub({ authenticate, authorize });
    const cursor = (await pollBody(await call(hub, 'poll?topics=a', as('ann').init))).cursor;
    const first = await post(hub, { topic: 'a', data: 1 }, 'pay-7');
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    const again = await post(hub, { topic: 'a', data: 1 }, 'pay-7');
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ id, duplicate: true });
    // Another principal's same key is its own publish.
    const bobs = (await (await post(hub, { topic: 'a', data: 2 }, 'pay-7', 'bob')).json()) as object;
    expect(bobs).toEqual({ id: expect.any(String) });
    expect((await eventsAfter(hub, 'a', cursor)).map((e) => e.data)).toEqual([1, 2]);
  });

  it('the same key over WebSocket and HTTP is one publish for one principal', async () => {
    const hub = makeHub({ authenticate, authorize });
    const socket = await openWs(hub, '', as('ann'));
    socket.send({ type: 'publish', topic: 'a', data: 1, ref: 'r', key: 'both' });
    await flush();
    const ack = socket.ofType('ack')[0]!;
    expect(await (await post(hub, { topic: 'a', data: 1 }, 'both')).json()).toEqual({
      id: ack.id,
      duplicate: true,
    });
  });

  it('refuses a malformed header with 400 bad_request, publishing nothing', async () => {
    const hub = makeHub({ authenticate, authorize });
    for (const key of ['', 'x'.repeat(129), 'a b', 'ü']) {
      const response = await post(hub, { topic: 'a', data: 1 }, key);
      const body = await expectError(hub, response, 400, 'bad_request');
      expect(body.error.message).toMatch(/Idempotency-Key/);
    }
    expect(hub.stats().published).toBe(0);
  });

  it('a broker without keys answers 400 bad_request', async () => {
    const { idempotent: _, ...withoutKeys } = createMemoryBroker();
    const hub = makeHub({ authenticate, authorize, broker: withoutKeys as Broker });
    await expectError(hub, await post(hub, { topic: 'a', data: 1 }, 'k'), 400, 'bad_request');
    expect((await post(hub, { topic: 'a', data: 1 })).status).toBe(202);
  });
});

describe('the in-memory broker keeps keys within bounds', () => {
  const input = (key: string, windowMs = 60_000): PublishInput => ({
    topic: 'a',
    event: 'message',
    data: '1',
    idempotency: { key, windowMs },
  });

  it('forgets the oldest key past idempotencyMaxKeys', () => {
    const broker = createMemoryBroker({ idempotencyMaxKeys: 2 });
    const first = broker.publish(input('one')) as { id: string };
    broker.publish(input('two'));
    expect(broker.publish(input('one'))).toEqual({ duplicate: true, id: first.id });
    broker.publish(input('three'));
    // `one` was the oldest stored: forgotten, so it publishes anew.
    expect(broker.publish(input('one'))).not.toHaveProperty('duplicate');
    expect(() => createMemoryBroker({ idempotencyMaxKeys: 0 })).toThrow(TypeError);
  });

  it('a lapsed key is taken by the next publish with it, on the broker clock', () => {
    let now = 1000;
    const broker = createMemoryBroker({ clock: { now: () => now } });
    const first = broker.publish(input('k', 100)) as { id: string };
    now += 99;
    expect(broker.publish(input('k', 100))).toEqual({ duplicate: true, id: first.id });
    now += 1;
    const second = broker.publish(input('k', 100)) as { id: string };
    expect(second.id).not.toBe(first.id);
    expect(broker.publish(input('k', 100))).toEqual({ duplicate: true, id: second.id });
  });
});
