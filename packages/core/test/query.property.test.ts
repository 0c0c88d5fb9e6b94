import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TidingsError } from '../src/errors.ts';
import { formatEventId, parseEventId } from '../src/event-id.ts';
import { readCursor, readTimeoutMs, readTopics } from '../src/internal/query.ts';
import { isValidTopic, parseTopicList } from '../src/protocol/topics.ts';
import { eventIdLike, nastyString, topicListText, validEpoch, validTopic } from './support/arbitraries.ts';
import { fuzz } from './support/fuzz.ts';

/** Runs `read`; a refusal must be the protocol's `bad_request`, never another error. */
function readOrRefuse<T>(read: () => T): { value: T } | { refused: string } {
  try {
    return { value: read() };
  } catch (error) {
    expect(error).toBeInstanceOf(TidingsError);
    expect((error as TidingsError).code).toBe('bad_request');
    return { refused: (error as TidingsError).message };
  }
}

const max = fc.integer({ min: 1, max: 40 });
const distinct = (items: readonly string[]) => [...new Set(items)];

describe('the topics parser', () => {
  it('never throws: the distinct valid topics in order, or the documented reason', () => {
    fuzz(
      fc.property(fc.option(fc.oneof(topicListText, nastyString), { nil: null }), max, (value, limit) => {
        const result = parseTopicList(value, limit);
        if (value === null || value === '') {
          expect(result).toBe('topics is required');
          return;
        }
        const parts = value.split(',');
        if (typeof result === 'string') {
          expect(['invalid topic name', `at most ${limit} topics per connection`]).toContain(result);
          // A refusal is never for nothing: too many parts, or a part that is not a topic.
          expect(parts.length > limit || !parts.every(isValidTopic)).toBe(true);
          return;
        }
        // Accepted: nothing dropped, nothing invented, first occurrences in order, within the limit.
        expect(parts.every(isValidTopic)).toBe(true);
        expect(result).toEqual(distinct(parts));
        expect(parts.length).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 8000 },
    );
  });

  it('round-trips any list of valid topics through the query string', () => {
    fuzz(
      fc.property(fc.array(validTopic, { minLength: 1, maxLength: 40 }), (topics) => {
        const joined = topics.join(',');
        const limit = topics.length;
        expect(parseTopicList(joined, limit)).toEqual(distinct(topics));
        const url = new URL(`http://h.test/rt/poll?topics=${encodeURIComponent(joined)}`);
        expect(readTopics(url, limit, true)).toEqual(distinct(topics));
        // One topic over the limit is refused, not truncated.
        expect(parseTopicList(`${joined},extra`, limit)).toBe(`at most ${limit} topics per connection`);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads any raw query string into topics or a 400, and an absent list is fine for a WebSocket', () => {
    fuzz(
      fc.property(fc.oneof(topicListText, nastyString), max, fc.boolean(), (raw, limit, required) => {
        let url: URL;
        try {
          url = new URL(`http://h.test/rt/poll?${raw}`);
        } catch {
          return;
        }
        const read = readOrRefuse(() => readTopics(url, limit, required));
        const value = url.searchParams.get('topics');
        if ('refused' in read) {
          expect(parseTopicList(value, limit)).toBe(read.refused);
          expect(!required && (value === null || value === '')).toBe(false);
        } else if (!required && (value === null || value === '')) expect(read.value).toEqual([]);
        else expect(read.value).toEqual(parseTopicList(value, limit));
      }),
      { numRuns: 4000 },
    );
  });
});

describe('event ids and cursors (the cursor parameter, a subscribe cursor, Last-Event-ID)', () => {
  it('format → parse round-trips every id the log can issue', () => {
    fuzz(
      fc.property(validEpoch, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (epoch, seq) => {
        expect(parseEventId(formatEventId(epoch, seq))).toEqual({ epoch, seq });
      }),
      { numRuns: 5000 },
    );
  });

  it('parse → format is the identity on whatever is accepted: one spelling per position', () => {
    let accepted = 0;
    fuzz(
      fc.property(eventIdLike, (text) => {
        const position = parseEventId(text);
        if (!position) return;
        accepted++;
        expect(Number.isSafeInteger(position.seq) && position.seq >= 0).toBe(true);
        expect(formatEventId(position.epoch, position.seq)).toBe(text);
      }),
      { numRuns: 10_000 },
    );
    // The generator reaches the accepting side too, or the property above says nothing.
    expect(accepted).toBeGreaterThan(100);
  });

  it('readCursor: empty means "from now", a valid id its position, anything else a 400', () => {
    fuzz(
      fc.property(fc.oneof(eventIdLike, fc.constantFrom(null, undefined, '')), (value) => {
        const read = readOrRefuse(() => readCursor(value));
        if (value === null || value === undefined || value === '') expect(read).toEqual({ value: undefined });
        else if (parseEventId(value)) expect(read).toEqual({ value: parseEventId(value) });
        else expect(read).toEqual({ refused: 'invalid cursor' });
      }),
      { numRuns: 5000 },
    );
  });
});

describe('the long-poll timeout', () => {
  it('any value is a wait within [0, max] or a 400, and whole milliseconds round-trip', () => {
    const maxMs = 30_000;
    fuzz(
      fc.property(
        fc.oneof(
          nastyString,
          fc.double({ min: 0, max: 2e6, noNaN: true }).map((n) => String(n)),
          fc.integer({ min: 0, max: 999_999_999 }).map((ms) => (ms / 1000).toString()),
        ),
        (raw) => {
          const url = new URL('http://h.test/rt/long-poll');
          url.searchParams.set('timeout', raw);
          // What the server reads back (a lone surrogate, for one, arrives as U+FFFD).
          const timeout = url.searchParams.get('timeout')!;
          const read = readOrRefuse(() => readTimeoutMs(url, 25_000, maxMs));
          if ('refused' in read) {
            expect(read.refused).toBe('invalid timeout');
            expect(timeout).not.toMatch(/^\d{1,6}(\.\d{1,3})?$/);
            return;
          }
          if (timeout === '') expect(read.value).toBe(25_000);
          // Seconds on the wire, with up to three decimals: exactly whole milliseconds once read.
          else expect(read.value).toBe(Math.min(Math.round(Number(timeout) * 1000), maxMs));
          expect(Number.isInteger(read.value)).toBe(true);
          expect(read.value).toBeGreaterThanOrEqual(0);
          expect(read.value).toBeLessThanOrEqual(maxMs);
        },
      ),
      { numRuns: 4000 },
    );
  });
});
