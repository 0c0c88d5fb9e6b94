// Raw node:http: SSE, long polling and short polling written by hand the plain way, the baseline
// of scenarios B, D and E-sse. SSE builds its text once per broadcast and `res.write`s it to each
// client. With the argument `tuned`, SSE writes one shared, already chunk-framed Buffer straight to
// each socket, corked for the tick (what a hand-optimised server does). Long poll answers every waiter at once per publish,
// one body per distinct cursor; a 25 s timer per waiter, as a straightforward server would.
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toEnvelope } from '../payload.ts';
import { runTargetServer } from './harness.ts';
import { corkForTick } from './tick-cork.ts';

const RETAINED = 1000;
const CRLF = Buffer.from('\r\n');
const LONG_POLL_TIMEOUT_MS = 25_000;
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

interface Waiter {
  res: ServerResponse;
  cursor: number;
  timer: ReturnType<typeof setTimeout>;
}

await runTargetServer(async (args) => {
  const tuned = args.includes('tuned');
  const log: { seq: number; json: string }[] = [];
  let head = 0;
  const streams = new Set<ServerResponse>();
  const waiters = new Set<Waiter>();

  const bodyAfter = (cursor: number) => {
    let events = '';
    // Sequence numbers are contiguous, so the first event after the cursor is found by subtraction.
    const first = log.length === 0 ? 0 : Math.max(0, cursor - log[0]!.seq + 1);
    for (let i = first; i < log.length; i++) events += events === '' ? log[i]!.json : `,${log[i]!.json}`;
    return `{"events":[${events}],"cursor":"${head}"}`;
  };
  const answer = (res: ServerResponse, body: string) => {
    res.writeHead(200, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) }).end(body);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const cursorParam = url.searchParams.get('cursor');
    const cursor = cursorParam === null ? head : Number(cursorParam);
    if (url.pathname === '/sse') {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      streams.add(res);
      res.on('close', () => streams.delete(res));
    } else if (url.pathname === '/poll') answer(res, bodyAfter(cursor));
    else if (url.pathname === '/long-poll') {
      if (cursor < head) return answer(res, bodyAfter(cursor));
      const waiter: Waiter = {
        res,
        cursor,
        timer: setTimeout(() => {
          waiters.delete(waiter);
          answer(res, bodyAfter(waiter.cursor));
        }, LONG_POLL_TIMEOUT_MS),
      };
      waiters.add(waiter);
      res.on('close', () => {
        clearTimeout(waiter.timer);
        waiters.delete(waiter);
      });
    } else res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');

  return {
    port: (server.address() as AddressInfo).port,
    broadcast(data, seq) {
      const json = JSON.stringify(toEnvelope(seq, data));
      head = seq;
      log.push({ seq, json });
      if (log.length > RETAINED) log.shift();
      if (streams.size > 0) {
        const text = `id: ${seq}\ndata: ${json}\n\n`;
        if (tuned) {
          // Framed once: the HTTP/1.1 chunk (size line, data, CRLF) built one time and written to
          // each socket as is, bypassing res.write's per-call framing (the headers went out with
          // the stream's first write, so the socket carries only this response's chunks).
          const data = Buffer.from(text);
          const bytes = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, CRLF]);
          for (const res of streams) {
            corkForTick(res.socket!);
            res.socket!.write(bytes);
          }
        } else for (const res of streams) res.write(text);
      }
      if (waiters.size > 0) {
        const bodies = new Map<number, string>();
        for (const waiter of waiters) {
          let body = bodies.get(waiter.cursor);
          if (body === undefined) {
            body = bodyAfter(waiter.cursor);
            bodies.set(waiter.cursor, body);
          }
          clearTimeout(waiter.timer);
          answer(waiter.res, body);
        }
        waiters.clear();
      }
    },
    connections: () => streams.size + waiters.size,
  };
});
