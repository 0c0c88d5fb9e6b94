import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSseParser, type SseMessage } from '../src/protocol/index.ts';
import { nastyString } from './support/arbitraries.ts';
import { fuzz } from './support/fuzz.ts';
import { parseSse, parseSseChunks } from './support/sse-reader.ts';

// Examples follow the WHATWG HTML "Server-sent events" section 9.2.6 (interpreting an event stream).

describe('createSseParser: the WHATWG interpretation', () => {
  it('joins data lines with LF', () => {
    expect(parseSse('data: YHOO\ndata: +2\ndata: 10\n\n').events).toEqual([
      { id: '', event: 'message', data: 'YHOO\n+2\n10' },
    ]);
  });

  it('a field with no colon has an empty value; an event without data is not dispatched', () => {
    const log = parseSse('data\n\ndata\ndata\n\ndata:');
    expect(log.events.map((e) => e.data)).toEqual(['', '\n']);
  });

  it('removes exactly one space after the colon', () => {
    expect(parseSse('data:test\n\ndata: test\n\ndata:  two\n\n').events.map((e) => e.data)).toEqual([
      'test',
      'test',
      ' two',
    ]);
  });

  it('keeps the last event id across events, ignores an id with NUL, and an empty id clears it', () => {
    const log = parseSse('id: 1\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\nid\ndata: d\n\n');
    expect(log.events.map((e) => [e.id, e.data])).toEqual([
      ['1', 'a'],
      ['1', 'b'],
      ['1', 'c'],
      ['', 'd'],
    ]);
  });

  it('event names apply to one event only; unknown fields are ignored', () => {
    const log = parseSse('event: add\nfoo: bar\ndata: 1\n\ndata: 2\n\n');
    expect(log.events.map((e) => [e.event, e.data])).toEqual([
      ['add', '1'],
      ['message', '2'],
    ]);
  });

  it('reports comments and valid retry values only', () => {
    const log = parseSse(': hello\n:\nretry: 1500\nretry: 15x\nretry: -1\nretry:\n\n');
    expect(log.comments).toEqual(['hello', '']);
    expect(log.retries).toEqual([1500]);
    expect(log.events).toEqual([]);
  });

  it('accepts CR, LF and CRLF line ends, and a CRLF split across chunks counts once', () => {
    for (const eol of ['\n', '\r', '\r\n']) {
      expect(parseSse(`data: a${eol}data: b${eol}${eol}`).events.map((e) => e.data)).toEqual(['a\nb']);
    }
    expect(parseSseChunks(['data: a\r', '\ndata: b\r', '\n\r', '\n']).events.map((e) => e.data)).toEqual([
      'a\nb',
    ]);
  });

  it('an empty chunk between the CR and the LF of a CRLF changes nothing', () => {
    expect(parseSseChunks(['data: a\r', '', '\ndata: b\r\n\r\n']).events.map((e) => e.data)).toEqual([
      'a\nb',
    ]);
  });

  it('skips one leading BOM, only at the start of the stream', () => {
    expect(parseSse('\ufeffdata: a\n\n').events.map((e) => e.data)).toEqual(['a']);
    expect(parseSseChunks(['', '\ufeffdata: a\n\n']).events.map((e) => e.data)).toEqual(['a']);
    // A second BOM is part of a field name, which is then unknown.
    expect(parseSse('\ufeff\ufeffdata: a\n\n').events).toEqual([]);
    expect(parseSse('data: a\n\n\ufeffdata: b\n\n').events.map((e) => e.data)).toEqual(['a']);
  });

  it('reset() starts a new stream but keeps the last event id', () => {
    const events: SseMessage[] = [];
    const parser = createSseParser({ onEvent: (e) => events.push(e) });
    parser.push('id: 7\ndata: a\n\ndata: half');
    parser.reset();
    parser.push('\ufeffdata: b\n\n');
    expect(events.map((e) => [e.id, e.data])).toEqual([
      ['7', 'a'],
      ['7', 'b'],
    ]);
  });
});

/** A line value with no line break (a field value can never hold one). */
const lineText = nastyString.map((s) => s.replace(/[\r\n]/g, ''));

type Block =
  | { kind: 'event'; id: string | undefined; event: string | undefined; data: string[] }
  | { kind: 'comment'; text: string }
  | { kind: 'retry'; ms: number };

const block: fc.Arbitrary<Block> = fc.oneof(
  fc.record({
    kind: fc.constant('event' as const),
    id: fc.option(
      lineText.map((s) => s.replace(/\0/g, '')),
      { nil: undefined },
    ),
    event: fc.option(
      lineText.filter((s) => s !== ''),
      { nil: undefined },
    ),
    data: fc.array(lineText, { minLength: 1, maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('comment' as const), text: lineText }),
  fc.record({ kind: fc.constant('retry' as const), ms: fc.nat() }),
);

interface Stream {
  text: string;
  events: SseMessage[];
  comments: string[];
  retries: number[];
}

/** Serialises blocks with the line end chosen per line, and the events a parser must see. */
function serialise(blocks: Block[], eols: string[], bom: boolean): Stream {
  let text = bom ? '\ufeff' : '';
  let i = 0;
  let previous = '';
  const line = (content: string) => {
    let eol = eols[i++ % eols.length]!;
    // A CR then an LF-first line end would read as one CRLF; real streams never end a line that way.
    if (previous === '\r' && eol.startsWith('\n')) eol = '\r\n';
    previous = eol;
    text += content + eol;
  };
  const stream: Stream = { text: '', events: [], comments: [], retries: [] };
  let lastId = '';
  for (const b of blocks) {
    if (b.kind === 'comment') {
      line(`: ${b.text}`);
      stream.comments.push(b.text);
    } else if (b.kind === 'retry') {
      line(`retry: ${b.ms}`);
      stream.retries.push(b.ms);
    } else {
      if (b.id !== undefined) {
        line(`id: ${b.id}`);
        lastId = b.id;
      }
      if (b.event !== undefined) line(`event: ${b.event}`);
      for (const d of b.data) line(`data: ${d}`);
      line('');
      stream.events.push({ id: lastId, event: b.event ?? 'message', data: b.data.join('\n') });
    }
  }
  stream.text = text;
  return stream;
}

describe('createSseParser under any chunking', () => {
  it('gives the same events, comments and retries for any split points, line ends and BOM', () => {
    fuzz(
      fc.property(
        fc.array(block, { maxLength: 8 }),
        fc.array(fc.constantFrom('\n', '\r', '\r\n'), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 16 }),
        (blocks, eols, bom, rawCuts) => {
          const stream = serialise(blocks, eols, bom);
          const cuts = rawCuts.map((c) => c % (stream.text.length + 1)).sort((a, b) => a - b);
          const points = [0, ...cuts, stream.text.length];
          const chunks = points.slice(1).map((end, k) => stream.text.slice(points[k], end));
          const log = parseSseChunks(chunks);
          expect(log.events).toEqual(stream.events);
          expect(log.comments).toEqual(stream.comments);
          expect(log.retries).toEqual(stream.retries);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('one character at a time is the same as all at once', () => {
    fuzz(
      fc.property(fc.array(block, { maxLength: 6 }), fc.constantFrom('\n', '\r', '\r\n'), (blocks, eol) => {
        const stream = serialise(blocks, [eol], true);
        expect(parseSseChunks([...stream.text]).events).toEqual(parseSse(stream.text).events);
        expect(parseSse(stream.text).events).toEqual(stream.events);
      }),
      { numRuns: 300 },
    );
  });
});
