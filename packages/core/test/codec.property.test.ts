import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upgrade } from '../src/adapter.ts';
import { type AnyHub, createHub, isTidingsError } from '../src/index.ts';
import { decodeClientMessage, encodeEnvelope, toEventMessage, toJson } from '../src/protocol/index.ts';
import { nastyJson, nastyString } from './support/arbitraries.ts';
import { FakeSocket } from './support/fake-socket.ts';
import { fuzz, fuzzAsync } from './support/fuzz.ts';
import { flush } from './support/harness.ts';
import { readSse, type SseReader } from './support/sse-reader.ts';

/** The data as every transport delivers it, parsed back by a client. */
interface Delivered {
  poll: unknown;
  ws: unknown;
  sse: unknown;
  sseId: string;
  id: string;
}

let hub: AnyHub;
let socket: FakeSocket;
let sse: SseReader;
let cursor: string;

beforeAll(async () => {
  hub = createHub({ anonymous: true });
  cursor = (await (await hub.handle(new Request('http://h.test/rt/poll?topics=t')))!.json()).cursor;
  const decision = await upgrade(hub, new Request('http://h.test/rt/ws?topics=t'));
  if (!decision.accepted) throw new Error('refused');
  socket = new FakeSocket();
  socket.handlers = decision.accept(socket.port);
  sse = readSse((await hub.handle(new Request('http://h.test/rt/sse?topics=t')))!);
});

afterAll(() => hub.close());

/** Publishes through the hub and reads the event back through short poll, WebSocket and SSE bytes. */
async function roundTrip(data: unknown): Promise<Delivered> {
  const id = await hub.publish('t', data);
  await flush();
  const response = await hub.handle(new Request(`http://h.test/rt/poll?topics=t&cursor=${cursor}`));
  cursor = id;
  const body = JSON.parse(await response!.text()) as { events: { id: string; data: unknown }[] };
  expect(body.events.length).toBe(1);
  const frame = JSON.parse(socket.frames.at(-1)!) as { id: string; data: unknown };
  const event = sse.events.at(-1)!;
  const envelope = JSON.parse(event.data) as { id: string; data: unknown };
  expect([body.events[0]!.id, frame.id, envelope.id]).toEqual([id, id, id]);
  return { poll: body.events[0]!.data, ws: frame.data, sse: envelope.data, sseId: event.id, id };
}

describe('publish → envelope → JSON.parse round-trips data exactly', () => {
  it('any string: newlines, \\r, U+2028/U+2029, lone surrogates, NUL, BOM, SSE field text', async () => {
    await fuzzAsync(
      fc.asyncProperty(nastyString, async (text) => {
        const got = await roundTrip(text);
        expect(got.poll).toBe(text);
        expect(got.ws).toBe(text);
        // Through UTF-8 bytes as well: JSON escapes lone surrogates, so nothing is replaced by U+FFFD.
        expect(got.sse).toBe(text);
        expect(got.sseId).toBe(got.id);
      }),
      { numRuns: 300 },
    );
    expect(sse.events.length).toBeGreaterThanOrEqual(300);
  });

  it('any JSON value with hostile keys and strings, as JSON semantics define it', async () => {
    await fuzzAsync(
      fc.asyncProperty(nastyJson, async (value) => {
        const expected = JSON.stringify(value);
        const got = await roundTrip(value);
        expect(JSON.stringify(got.poll)).toBe(expected);
        expect(JSON.stringify(got.ws)).toBe(expected);
        expect(JSON.stringify(got.sse)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('__proto__ and constructor keys stay plain data and pollute nothing', async () => {
    const value = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    const got = await roundTrip(value);
    for (const data of [got.poll, got.ws, got.sse] as Record<string, unknown>[]) {
      expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
      expect(Object.hasOwn(data, '__proto__')).toBe(true);
      expect(JSON.stringify(data)).toBe(JSON.stringify(value));
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('__proto__ and constructor are valid topic names and behave like any other', async () => {
    const local = createHub({ anonymous: true });
    try {
      for (const topic of ['__proto__', 'constructor', 'hasOwnProperty']) {
        const start = (await (await local.handle(new Request(`http://h.test/poll?topics=${topic}`)))!.json())
          .cursor;
        const id = await local.publish(topic, topic);
        const body = await (await local.handle(
          new Request(`http://h.test/poll?topics=${topic}&cursor=${start}`),
        ))!.json();
        expect(body.events).toEqual([{ id, topic, event: 'message', data: topic }]);
      }
    } finally {
      await local.close();
    }
  });
});

describe('values JSON cannot carry are refused with a clear error', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const cases: [string, unknown][] = [
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a BigInt', 10n],
    ['a BigInt inside an object', { n: 1n }],
    ['a cycle', cyclic],
  ];

  it.each(cases)('%s', async (_name, value) => {
    const before = hub.stats().published;
    let error: unknown;
    try {
      await hub.publish('t', value);
    } catch (e) {
      error = e;
    }
    expect(isTidingsError(error)).toBe(true);
    if (isTidingsError(error)) {
      expect(error.code).toBe('bad_request');
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/JSON/);
    }
    expect(hub.stats().published).toBe(before);
    expect(toJson(value)).toBeUndefined();
  });

  it('topic and event names that could break a frame are refused', async () => {
    for (const [topic, event] of [
      ['a\nb', 'message'],
      ['', 'message'],
      ['a', 'x\ny'],
      ['a', 'x\ry'],
      ['a', ''],
      ['a', 'x'.repeat(65)],
    ] as const) {
      const error = await hub.publish(topic as string, 1, { event }).catch((e: unknown) => e);
      expect(isTidingsError(error) && error.code).toBe('bad_request');
    }
  });
});

describe('codec building blocks', () => {
  it('encodeEnvelope and toEventMessage give the JSON objects they promise', () => {
    fuzz(
      fc.property(nastyString, nastyJson, (topic, data) => {
        const envelope = encodeEnvelope('e1-7', topic, 'message', JSON.stringify(data));
        const parsed = JSON.parse(envelope);
        expect(Object.keys(parsed)).toEqual(['id', 'topic', 'event', 'data']);
        expect(parsed.topic).toBe(topic);
        expect(JSON.stringify(parsed.data)).toBe(JSON.stringify(data));
        const message = JSON.parse(toEventMessage(envelope));
        expect(message).toEqual({ type: 'event', ...parsed });
      }),
    );
  });

  it('decodeClientMessage keeps publish data exactly, __proto__ keys included', () => {
    fuzz(
      fc.property(nastyJson, (data) => {
        const text = `{"type":"publish","topic":"t","data":${JSON.stringify(data)},"ref":"r"}`;
        const result = decodeClientMessage(text, 32);
        expect(result.ok).toBe(true);
        if (result.ok && result.message.type === 'publish') {
          expect(JSON.stringify(result.message.data)).toBe(JSON.stringify(data));
          expect(result.message.ref).toBe('r');
        }
      }),
    );
  });

  it('decodeClientMessage does not read fields through an own __proto__ key', () => {
    const result = decodeClientMessage('{"__proto__":{"type":"ping"}}', 32);
    expect(result).toEqual({ ok: false, reason: 'unknown message type' });
  });
});
