import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cuts, splitAt, sseText } from './support/arbitraries.ts';
import { fuzz } from './support/fuzz.ts';
import { parseSseChunks } from './support/sse-reader.ts';
import { interpretSse } from './support/sse-reference.ts';

describe('the SSE parser on any text, well-formed or not', () => {
  it('reads it in any chunking exactly as the spec reads the whole', () => {
    fuzz(
      fc.property(sseText, cuts, (text, points) => {
        const log = parseSseChunks(splitAt(text, points));
        const expected = interpretSse(text, 'strip');
        expect(log.events).toEqual(expected.events);
        expect(log.comments).toEqual(expected.comments);
        expect(log.retries).toEqual(expected.retries);
      }),
      { numRuns: 8000 },
    );
  });

  it('never yields a field with a line break (nor an id with NUL), however the text is cut', () => {
    let events = 0;
    fuzz(
      fc.property(sseText, cuts, (text, points) => {
        const log = parseSseChunks(splitAt(text, points));
        events += log.events.length;
        for (const event of log.events) {
          expect(event.id).not.toMatch(/[\r\n\0]/);
          expect(event.event).not.toMatch(/[\r\n]/);
          expect(event.event.length).toBeGreaterThan(0);
          // Data lines are joined with LF; a CR can only have ended a line.
          expect(event.data).not.toMatch(/\r/);
        }
        for (const comment of log.comments) expect(comment).not.toMatch(/[\r\n]/);
        for (const retry of log.retries) expect(Number.isInteger(retry) && retry >= 0).toBe(true);
      }),
      { numRuns: 5000 },
    );
    expect(events).toBeGreaterThan(1000);
  });
});
