import { createSseParser, type SseMessage, sseOpening } from '@tidings/core/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzz } from '../../core/test/support/fuzz.ts';
import { createSseDecoder } from '../src/internal/sse-decoder.ts';

interface Spec {
  id?: string;
  event?: string;
  data: string[];
  comment?: string;
  retry?: number;
}

const noBreaks = (s: string) => s.replace(/[\r\n]/g, '');
const spec = fc.record(
  {
    id: fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/),
    event: fc.stringMatching(/^[a-z]{1,8}$/),
    data: fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }).map(noBreaks), {
      minLength: 1,
      maxLength: 3,
    }),
    comment: fc.string({ unit: 'grapheme', maxLength: 8 }).map(noBreaks),
    retry: fc.nat(100_000),
  },
  { requiredKeys: ['data'] },
);

/** The lines of a stream for `specs`, each paired with a line ending. */
function toLines(specs: Spec[]): string[] {
  const lines: string[] = [];
  for (const s of specs) {
    if (s.comment !== undefined) lines.push(`:${s.comment}`);
    if (s.id !== undefined) lines.push(`id: ${s.id}`);
    if (s.event !== undefined) lines.push(`event: ${s.event}`);
    if (s.retry !== undefined) lines.push(`retry: ${s.retry}`);
    for (const d of s.data) lines.push(`data: ${d}`);
    lines.push('');
  }
  return lines;
}

/** Joins lines with the chosen endings; a CR before an empty line ended by LF would read as one CRLF, so that pair is avoided. */
function serialise(lines: string[], endings: string[], bom: boolean): string {
  let text = bom ? '\uFEFF' : '';
  let previous = '';
  lines.forEach((line, i) => {
    let ending = endings[i % endings.length]!;
    if (previous === '\r' && line === '' && ending === '\n') ending = '\r\n';
    text += line + ending;
    previous = ending;
  });
  return text;
}

type Decoded = { events: { event: string; data: string }[]; comments: string[] };

function expected(specs: Spec[]): Decoded {
  const events: Decoded['events'] = [];
  const comments: string[] = [];
  for (const s of specs) {
    if (s.comment !== undefined) comments.push(s.comment.trimStart());
    events.push({ event: s.event ?? 'message', data: s.data.join('\n') });
  }
  return { events, comments };
}

/** Splits `bytes` at the given cut points (a character's bytes may be split too). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  return chunks;
}

describe('SSE decoding (bytes → events)', () => {
  it('gives the same events and comments under any chunking and line ending; id and retry lines are skipped', () => {
    fuzz(
      fc.property(
        fc.array(spec, { maxLength: 8 }),
        fc.array(fc.constantFrom('\n', '\r', '\r\n'), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (specs, endings, cuts) => {
          const bytes = new TextEncoder().encode(serialise(toLines(specs), endings, false));
          const got: Decoded = { events: [], comments: [] };
          const decode = createSseDecoder(
            (event, data) => got.events.push({ event, data }),
            (text) => got.comments.push(text),
          );
          for (const part of chunk(bytes, cuts)) decode(part);
          expect(got).toEqual(expected(specs));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("agrees with @tidings/core/protocol's full parser on every event", () => {
    fuzz(
      fc.property(
        fc.array(spec, { maxLength: 8 }),
        fc.array(fc.constantFrom('\n', '\r', '\r\n'), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (specs, endings, cuts) => {
          const text = serialise(toLines(specs), endings, false);
          const full: SseMessage[] = [];
          createSseParser({ onEvent: (m) => full.push(m) }).push(text);
          const ours: { event: string; data: string }[] = [];
          const decode = createSseDecoder(
            (event, data) => ours.push({ event, data }),
            () => {},
          );
          for (const part of chunk(new TextEncoder().encode(text), cuts)) decode(part);
          expect(ours).toEqual(full.map(({ event, data }) => ({ event, data })));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodes a multi-byte character split across chunks', () => {
    const events: string[] = [];
    const decode = createSseDecoder(
      (_event, data) => events.push(data),
      () => {},
    );
    const bytes = new TextEncoder().encode('data: 🎉é\n\n');
    for (let i = 0; i < bytes.length; i++) decode(bytes.subarray(i, i + 1));
    expect(events).toEqual(['🎉é']);
  });

  it("reads the server's opening comment (heartbeat and head) as it is sent", () => {
    const comments: string[] = [];
    const decode = createSseDecoder(
      () => {},
      (text) => comments.push(text),
    );
    decode(new TextEncoder().encode(sseOpening(2000, 15_000, 'k3x9-42')));
    expect(comments).toEqual(['open heartbeat=15000 cursor=k3x9-42']);
  });
});
