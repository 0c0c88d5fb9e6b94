import { describe, expect, it } from 'vitest';
import {
  HttpFramer,
  type Piece,
  pathOf,
  requestFraming,
  responseFraming,
  routeOf,
  wantsClose,
  wantsTunnel,
} from '../src/proxy/http-framer.ts';

/** Feeds `bytes` in pieces of `step` bytes; returns the messages found (head line, body, ended) and what stayed raw. */
function frame(kind: 'request' | 'response', text: string, step: number, method = 'GET') {
  const framer = new HttpFramer(kind, (head) =>
    kind === 'request' ? requestFraming(head) : responseFraming(head, method),
  );
  const messages: { start: string; body: string; ended: boolean }[] = [];
  let raw = '';
  const take = (piece: Piece) => {
    const current = messages.at(-1);
    if (piece.kind === 'head') {
      messages.push({ start: piece.head.bytes.toString('latin1').split('\r\n')[0]!, body: '', ended: false });
    } else if (piece.kind === 'body') current!.body += piece.bytes.toString('latin1');
    else if (piece.kind === 'end') current!.ended = true;
    else raw += piece.bytes.toString('latin1');
  };
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; i < bytes.length; i += step) {
    let buf: Buffer = bytes.subarray(i, i + step);
    while (buf.length > 0) {
      const { pieces, rest } = framer.next(buf);
      pieces.forEach(take);
      buf = rest;
    }
  }
  return { messages, raw };
}

const chunked =
  'POST /realtime/publish HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n' +
  '5;ext="a"\r\nhello\r\n0a\r\n, world!!!\r\n0\r\nX-Trailer: yes\r\n\r\n';
const pipelined =
  '\r\nGET /realtime/poll?topics=a HTTP/1.1\r\nHost: x\r\n\r\n' +
  'POST /realtime/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody' +
  chunked +
  'GET /realtime/sse HTTP/1.0\r\n\r\n';

describe('HttpFramer', () => {
  it('finds every request of a pipelined stream, however it is split', () => {
    for (const step of [1, 2, 3, 7, 64, pipelined.length]) {
      const { messages, raw } = frame('request', pipelined, step);
      expect(raw).toBe('');
      expect(messages).toEqual([
        { start: 'GET /realtime/poll?topics=a HTTP/1.1', body: '', ended: true },
        { start: 'POST /realtime/publish HTTP/1.1', body: 'body', ended: true },
        {
          start: 'POST /realtime/publish HTTP/1.1',
          body: '5;ext="a"\r\nhello\r\n0a\r\n, world!!!\r\n0\r\nX-Trailer: yes\r\n\r\n',
          ended: true,
        },
        { start: 'GET /realtime/sse HTTP/1.0', body: '', ended: true },
      ]);
    }
  });

  it('frames responses by status, method, length, chunks and close', () => {
    const responses =
      'HTTP/1.1 100 Continue\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' +
      'HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nretry: 2000\n: open\n\n';
    for (const step of [1, 5, responses.length]) {
      const { messages } = frame('response', responses, step);
      expect(messages).toEqual([
        { start: 'HTTP/1.1 100 Continue', body: '', ended: true },
        { start: 'HTTP/1.1 200 OK', body: 'ok', ended: true },
        { start: 'HTTP/1.1 204 No Content', body: '', ended: true },
        { start: 'HTTP/1.1 200 OK', body: '3\r\nabc\r\n0\r\n\r\n', ended: true },
        // No length: the body runs until the server closes.
        { start: 'HTTP/1.1 200 OK', body: 'retry: 2000\n: open\n\n', ended: false },
      ]);
    }
  });

  it('gives a HEAD response no body even with a Content-Length', () => {
    const { messages } = frame('response', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 1, 'HEAD');
    expect(messages).toEqual([{ start: 'HTTP/1.1 200 OK', body: '', ended: true }]);
  });

  it('turns into a tunnel after 101 Switching Protocols', () => {
    const text =
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi';
    const { messages, raw } = frame('response', text, 3);
    expect(messages).toEqual([{ start: 'HTTP/1.1 101 Switching Protocols', body: '', ended: true }]);
    expect(raw).toBe('\x81\x02hi');
  });

  it('passes what it cannot parse through raw, byte for byte', () => {
    for (const bad of [
      'NOT HTTP AT ALL\r\n\r\nrest',
      'GET / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\nxy',
      'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nbody',
      'GET / HTTP/1.1\r\n folded: header\r\n\r\n',
    ]) {
      const { messages, raw } = frame('request', bad, 4);
      const seen = messages.map((m) => m.body).join('') + raw;
      expect(bad.endsWith(seen)).toBe(true);
      expect(raw.length).toBeGreaterThan(0);
    }
  });

  it('reads routes, upgrades and closes from heads', () => {
    expect(pathOf('/realtime/sse?topics=a,b')).toBe('/realtime/sse');
    expect(pathOf('http://h/realtime/ws?x=/y')).toBe('/realtime/ws');
    expect(pathOf('/realtime/poll#x')).toBe('/realtime/poll');
    expect(pathOf('*')).toBe('');
    // A route is named only under the hub's path; anything else keeps its whole path.
    expect(routeOf('/realtime/sse', '/realtime')).toBe('sse');
    expect(routeOf('/realtime/long-poll', '/realtime')).toBe('long-poll');
    expect(routeOf('/api/x/poll', '/realtime')).toBe('/api/x/poll');
    expect(routeOf('/realtime/a/poll', '/realtime')).toBe('/realtime/a/poll');
    expect(routeOf('/realtime/', '/realtime')).toBe('/realtime/');
    expect(routeOf('/realtimepoll', '/realtime')).toBe('/realtimepoll');
    expect(routeOf('/poll', '')).toBe('poll');
    const head = (text: string) => {
      let found: Parameters<typeof wantsTunnel>[0] | undefined;
      new HttpFramer('request', (h) => {
        found = h;
        return { type: 'none' };
      }).next(Buffer.from(text));
      return found!;
    };
    expect(
      wantsTunnel(head('GET /ws HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n')),
    ).toBe(true);
    expect(wantsTunnel(head('GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n'))).toBe(false);
    expect(wantsClose(head('GET / HTTP/1.1\r\nConnection: close\r\n\r\n'))).toBe(true);
    expect(wantsClose(head('GET / HTTP/1.0\r\n\r\n'))).toBe(true);
    expect(wantsClose(head('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'))).toBe(false);
    expect(wantsClose(head('GET / HTTP/1.1\r\n\r\n'))).toBe(false);
  });
});
