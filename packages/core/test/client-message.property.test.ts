import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeClientMessage } from '../src/protocol/codec.ts';
import type { ClientMessage } from '../src/protocol/messages.ts';
import { isValidEventName, isValidTopic } from '../src/protocol/topics.ts';
import { eventIdLike, nastyJson, nastyString, validTopic } from './support/arbitraries.ts';
import { fuzz } from './support/fuzz.ts';

const TYPES = ['ping', 'pong', 'subscribe', 'unsubscribe', 'publish'];
/** The keys a decoded message of each type may have. */
const KEYS: Record<string, string[]> = {
  ping: ['type'],
  pong: ['type'],
  subscribe: ['type', 'topics', 'cursor'],
  unsubscribe: ['type', 'topics'],
  publish: ['type', 'topic', 'data', 'event', 'ref'],
};

const scalar = fc.oneof(
  fc.string({ maxLength: 5 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);
const topicish = fc.oneof(
  { weight: 6, arbitrary: validTopic },
  { weight: 1, arbitrary: nastyString },
  {
    weight: 1,
    arbitrary: scalar,
  },
);
const eventName = fc.stringMatching(/^[A-Za-z0-9._~:/-]{1,64}$/);

/** Objects that are often a valid message and often one field away from it. */
const messageObject = fc.record(
  {
    type: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...TYPES) },
      { weight: 1, arbitrary: fc.constantFrom('PING', '', 'welcome', 'event', '__proto__', 'toString') },
      { weight: 1, arbitrary: scalar },
    ),
    topics: fc.oneof(
      { weight: 4, arbitrary: fc.array(topicish, { maxLength: 45 }) },
      { weight: 1, arbitrary: scalar },
    ),
    topic: topicish,
    cursor: fc.oneof(eventIdLike, scalar),
    event: fc.oneof(
      { weight: 3, arbitrary: eventName },
      { weight: 1, arbitrary: nastyString },
      { weight: 1, arbitrary: scalar },
    ),
    data: nastyJson,
    ref: fc.oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: 127, maxLength: 130 }), scalar),
  },
  { requiredKeys: [] },
);

/** Client text: such objects (some with a `__proto__` key written in), and anything else at all. */
const clientText = fc.oneof(
  { weight: 6, arbitrary: messageObject.map((o) => JSON.stringify(o)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(messageObject, scalar)
      .map(([o, proto]) =>
        `{"__proto__":${JSON.stringify(proto)},${JSON.stringify(o).slice(1)}`.replace(',}', '}'),
      ),
  },
  { weight: 1, arbitrary: messageObject.chain((o) => fc.nat().map((n) => JSON.stringify(o).slice(0, n))) },
  { weight: 1, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) },
);

function parsed(text: string): Record<string, unknown> {
  return JSON.parse(text) as Record<string, unknown>;
}

describe('the client message decoder', () => {
  it('never throws: a well-formed message of the documented shape, or a refusal with a reason', () => {
    let accepted = 0;
    fuzz(
      fc.property(clientText, fc.integer({ min: 1, max: 40 }), (text, max) => {
        const result = decodeClientMessage(text, max);
        if (!result.ok) {
          expect(typeof result.reason).toBe('string');
          expect(result.reason.length).toBeGreaterThan(0);
          // A refusal names the message's ref only when the message had a readable one.
          if (result.ref !== undefined) {
            expect(result.ref).toBe(parsed(text).ref);
            expect(result.ref.length).toBeLessThanOrEqual(128);
          }
          return;
        }
        accepted++;
        const message: ClientMessage = result.message;
        const input = parsed(text);
        expect(TYPES).toContain(message.type);
        expect(message.type).toBe(input.type);
        for (const key of Object.keys(message)) expect(KEYS[message.type]).toContain(key);
        if (message.type === 'subscribe' || message.type === 'unsubscribe') {
          expect(message.topics.length).toBeGreaterThan(0);
          expect(message.topics.length).toBeLessThanOrEqual(max);
          expect(message.topics.every(isValidTopic)).toBe(true);
          expect(new Set(message.topics).size).toBe(message.topics.length);
          // Deduplicated, never filtered: the input's topics are exactly these.
          expect([...new Set(input.topics as string[])]).toEqual(message.topics);
        }
        if (message.type === 'subscribe' && 'cursor' in message) expect(message.cursor).toBe(input.cursor);
        if (message.type === 'publish') {
          expect(isValidTopic(message.topic)).toBe(true);
          if (message.event !== undefined) expect(isValidEventName(message.event)).toBe(true);
          if (message.ref !== undefined) expect(message.ref.length).toBeLessThanOrEqual(128);
          expect(JSON.stringify(message.data)).toBe(JSON.stringify(input.data));
        }
      }),
      { numRuns: 10_000 },
    );
    expect(accepted).toBeGreaterThan(1000);
  });

  it('re-encoding a decoded message decodes to the same message', () => {
    fuzz(
      fc.property(clientText, fc.integer({ min: 1, max: 40 }), (text, max) => {
        const result = decodeClientMessage(text, max);
        if (!result.ok) return;
        const again = decodeClientMessage(JSON.stringify(result.message), max);
        expect(again.ok).toBe(true);
        if (again.ok) expect(JSON.stringify(again.message)).toBe(JSON.stringify(result.message));
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts every message built from valid parts', () => {
    const valid = fc.oneof(
      fc.constantFrom({ type: 'ping' }, { type: 'pong' }),
      fc.record(
        {
          type: fc.constantFrom('subscribe' as const),
          topics: fc.array(validTopic, { minLength: 1, maxLength: 8 }),
          cursor: eventIdLike,
        },
        { requiredKeys: ['type', 'topics'] },
      ),
      fc.record({
        type: fc.constant('unsubscribe' as const),
        topics: fc.array(validTopic, { minLength: 1, maxLength: 8 }),
      }),
      fc.record(
        {
          type: fc.constant('publish' as const),
          topic: validTopic,
          event: eventName,
          data: nastyJson,
          ref: fc.string({ maxLength: 128 }),
        },
        { requiredKeys: ['type', 'topic', 'data'] },
      ),
    );
    fuzz(
      fc.property(valid, (message) => {
        const result = decodeClientMessage(JSON.stringify(message), 8);
        expect(result.ok).toBe(true);
        if (result.ok && 'topics' in message) {
          expect((result.message as { topics: string[] }).topics).toEqual([...new Set(message.topics)]);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
