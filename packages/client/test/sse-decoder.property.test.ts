import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// The core's test oracle and generators: a plain reading of the WHATWG algorithm, shared rather than copied.
import { cuts, splitAt, sseText } from '../../core/test/support/arbitraries.ts';
import { fuzz } from '../../core/test/support/fuzz.ts';
import { interpretSse } from '../../core/test/support/sse-reference.ts';
import { createSseDecoder } from '../src/internal/sse-decoder.ts';

const encoder = new TextEncoder();
const BOM = [0xef, 0xbb, 0xbf];

/** Bytes of an event stream: up to two leading BOMs, stream text, and bytes that are not UTF-8. */
const streamBytes = fc
  .tuple(
    fc.integer({ min: 0, max: 2 }),
    fc.array(
      fc.oneof(
        { weight: 6, arbitrary: sseText.map((text) => [...encoder.encode(text)]) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            [0xff],
            [0xc3],
            [0xe2, 0x82],
            [0xed, 0xa0, 0x80],
            BOM,
            [0xf0, 0x9f, 0x8e],
          ),
        },
      ),
      { maxLength: 4 },
    ),
  )
  .map(([boms, pieces]) =>
    Uint8Array.from([...Array.from({ length: boms }, () => BOM).flat(), ...pieces.flat()]),
  );

// The client's decoder reads only what a tidings stream carries: events (name and data) and
// comments (leading blanks trimmed); `id:` and `retry:` lines are skipped (the envelope carries the
// id, the client schedules its own reconnects).
function decodeChunks(chunks: Uint8Array[]) {
  const events: { event: string; data: string }[] = [];
  const comments: string[] = [];
  const decode = createSseDecoder(
    (event, data) => events.push({ event, data }),
    (text) => comments.push(text),
  );
  for (const chunk of chunks) decode(chunk);
  return { events, comments };
}

describe('the client SSE decoder (bytes → events)', () => {
  it('reads any bytes, cut anywhere (inside a character too), as the spec reads the whole stream', () => {
    fuzz(
      fc.property(streamBytes, cuts, (bytes, points) => {
        // WHATWG: decode the stream with UTF-8 decode (which drops one leading BOM and replaces
        // invalid bytes with U+FFFD), then interpret the text line by line.
        const reference = interpretSse(new TextDecoder().decode(bytes), 'keep');
        expect(decodeChunks(splitAt(bytes, points))).toEqual({
          events: reference.events.map(({ event, data }) => ({ event, data })),
          comments: reference.comments.map((comment) => comment.trimStart()),
        });
      }),
      { numRuns: 6000 },
    );
  });

  it('drops exactly one leading BOM: a second one is part of the first field name', () => {
    const bytes = Uint8Array.from([...BOM, ...BOM, ...encoder.encode('data: x\n\ndata: y\n\n')]);
    expect(decodeChunks([bytes]).events).toEqual([{ event: 'message', data: 'y' }]);
    expect(decodeChunks([bytes.subarray(0, 2), bytes.subarray(2)]).events).toEqual([
      { event: 'message', data: 'y' },
    ]);
  });
});
