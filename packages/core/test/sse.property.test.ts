import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEpoch, EventRecord, formatEventId } from '../src/broker-api.ts';
import {
  encodeEnvelope,
  sseComment,
  sseControlFrame,
  sseEventFrame,
  sseOpening,
} from '../src/protocol/index.ts';
import { nastyJson, nastyString } from './support/arbitraries.ts';
import { fuzz } from './support/fuzz.ts';
import { parseSse, parseSseChunks } from './support/sse-reader.ts';

const epoch = createEpoch();
const eventId = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }).map((seq) => formatEventId(epoch, seq));
const eventName = fc.stringMatching(/^[A-Za-z0-9._~:/-]{1,64}$/);

/**
 * Splits the UTF-8 bytes of a text at random points and decodes them as a client does, with a
 * streaming TextDecoder: chunks may then be empty or cut inside a character or a CRLF.
 */
function byteChunked(text: string): fc.Arbitrary<string[]> {
  const bytes = new TextEncoder().encode(text);
  return fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 12 }).map((points) => {
    const cuts = [0, ...points.sort((a, b) => a - b), bytes.length];
    const decoder = new TextDecoder();
    return cuts.slice(1).map((end, i) => decoder.decode(bytes.subarray(cuts[i], end), { stream: true }));
  });
}

function refusedForLineBreak(run: () => unknown): boolean {
  try {
    run();
    return false;
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/line break/);
    return true;
  }
}

describe('SSE framing can never be split or injected by data', () => {
  it('an event frame of any envelope parses back as exactly one event with the same id, name and data', () => {
    fuzz(
      fc.property(eventId, eventName, nastyString, nastyJson, (id, event, topic, data) => {
        const envelope = encodeEnvelope(id, topic, event, JSON.stringify(data));
        const log = parseSse(sseEventFrame(id, event, envelope));
        expect(log.events).toEqual([{ id, event, data: envelope }]);
        expect(log.comments).toEqual([]);
        expect(log.retries).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('raw text as data either frames as one event with that exact data or is refused with a TypeError', () => {
    let refused = 0;
    fuzz(
      fc.property(eventId, nastyString, (id, data) => {
        if (refusedForLineBreak(() => sseEventFrame(id, 'message', data))) {
          refused++;
          expect(/[\r\n]/.test(data)).toBe(true);
          return;
        }
        expect(parseSse(sseEventFrame(id, 'message', data)).events).toEqual([{ id, event: 'message', data }]);
      }),
      { numRuns: 500 },
    );
    expect(refused).toBeGreaterThan(0);
  });

  it('control frames and comments refuse line breaks and otherwise stay one item', () => {
    fuzz(
      fc.property(nastyString, eventId, (text, id) => {
        if (!refusedForLineBreak(() => sseControlFrame('close', text, id))) {
          expect(parseSse(sseControlFrame('close', text, id)).events).toEqual([
            { id, event: 'close', data: text },
          ]);
        }
        if (!refusedForLineBreak(() => sseComment(text))) {
          const log = parseSse(sseComment(text));
          expect(log.events).toEqual([]);
          expect(log.comments).toEqual([text]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a whole stream of frames, pings and resets parses back item for item, under any byte chunking', () => {
    const item = fc.oneof(
      fc.record({ kind: fc.constant('event' as const), seq: fc.nat(), event: eventName, data: nastyJson }),
      fc.record({ kind: fc.constant('ping' as const) }),
      fc.record({ kind: fc.constant('reset' as const), seq: fc.nat() }),
    );
    fuzz(
      fc.property(
        fc.array(item, { maxLength: 12 }).chain((items) => {
          let text = sseOpening(2000);
          const expected: { id: string; event: string; data: string }[] = [];
          for (const entry of items) {
            if (entry.kind === 'ping') {
              text += sseComment('ping');
            } else if (entry.kind === 'reset') {
              const id = formatEventId(epoch, entry.seq);
              const data = JSON.stringify({ cursor: id });
              text += sseControlFrame('reset', data, id);
              expected.push({ id, event: 'reset', data });
            } else {
              const id = formatEventId(epoch, entry.seq);
              const json = JSON.stringify(entry.data);
              const record = new EventRecord(entry.seq, id, 'topic', entry.event, json, 0);
              // What the ReadableStream path sends: the record's own UTF-8 bytes.
              text += new TextDecoder().decode(record.sseBytes);
              expected.push({ id, event: entry.event, data: record.envelope });
            }
          }
          const pings = items.filter((i) => i.kind === 'ping').length;
          return byteChunked(text).map((chunks) => ({ chunks, expected, pings }));
        }),
        ({ chunks, expected, pings }) => {
          const log = parseSseChunks(chunks);
          expect(log.events).toEqual(expected);
          expect(log.comments).toEqual(['open', ...Array(pings).fill('ping')]);
          expect(log.retries).toEqual([2000]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
