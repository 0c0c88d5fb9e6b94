import { describe, expect, it } from 'vitest';
import { readStamp, readStampText, type Stamp } from '../src/loadgen/read-stamp.ts';
import { type SseEvent, SseParser } from '../src/loadgen/sse-parser.ts';

function parse(chunks: string[]): { data: string; event: string | undefined; id: string | undefined }[] {
  const events: { data: string; event: string | undefined; id: string | undefined }[] = [];
  const parser = new SseParser((e: SseEvent) =>
    events.push({ data: e.data.toString(), event: e.event, id: e.id }),
  );
  for (const chunk of chunks) parser.push(Buffer.from(chunk));
  return events;
}

describe('SseParser', () => {
  it('dispatches on a blank line, with id and event name', () => {
    expect(parse(['retry: 2000\n: hi\n\nid: 7\nevent: note\ndata: {"a":1}\n\n'])).toEqual([
      { data: '{"a":1}', event: 'note', id: '7' },
    ]);
  });

  it('joins data lines, takes CRLF, and survives any chunk boundary', () => {
    const stream = 'data: one\r\ndata:two\r\n\r\ndata: three\n\n';
    const whole = parse([stream]);
    expect(whole.map((e) => e.data)).toEqual(['one\ntwo', 'three']);
    for (let cut = 1; cut < stream.length; cut++)
      expect(parse([stream.slice(0, cut), stream.slice(cut)])).toEqual(whole);
  });

  it('keeps the last id and resets the event name after each event', () => {
    const events = parse(['id: 1\nevent: a\ndata: x\n\ndata: y\n\n']);
    expect(events[1]).toEqual({ data: 'y', event: undefined, id: '1' });
  });
});

describe('readStamp', () => {
  it('finds sequence and time inside any framing, and nothing in control messages', () => {
    const out: Stamp = { seq: 0, timeUs: 0 };
    const framed = Buffer.from('42["m",{"id":"3","topic":"bench","data":{"s":3,"t":123456789,"p":"xx"}}]');
    expect(readStamp(framed, out)).toBe(true);
    expect(out).toEqual({ seq: 3, timeUs: 123456789 });
    expect(readStamp(Buffer.from('{"type":"welcome","cursor":"x-1"}'), out)).toBe(false);
    expect(readStampText('4{"data":{"s":12,"t":99,"p":""}}', out)).toBe(true);
    expect(out).toEqual({ seq: 12, timeUs: 99 });
  });
});
