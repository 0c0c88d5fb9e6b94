import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/** An IncomingMessage as some frameworks leave it: possibly with a body already parsed. */
export type NodeRequest = IncomingMessage & { body?: unknown; _body?: boolean };

/** The body to hand on: none for GET/HEAD, what a parser left, or the stream itself. */
export function bodyOf(
  req: NodeRequest,
): string | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null {
  if (req.method === 'GET' || req.method === 'HEAD') return null;
  // A body parser in front of us (express.json(), koa-bodyparser) consumed the stream: re-serialise
  // what it parsed rather than wait for bytes that will never come.
  if (req.readableEnded || req._body === true) {
    if (req.body === undefined) return null;
    if (typeof req.body === 'string') return req.body;
    return req.body instanceof Uint8Array ? new Uint8Array(req.body) : JSON.stringify(req.body);
  }
  return Readable.toWeb(req) as ReadableStream<Uint8Array>;
}

/**
 * Turns an IncomingMessage into a Fetch `Request` whose signal aborts when the client goes away
 * before the answer is complete (for long polls and streams). `url` overrides the path (default
 * `req.url`, which under a framework mount is relative to the mount).
 */
export function toRequest(req: IncomingMessage, res?: ServerResponse, url: string = req.url ?? '/'): Request {
  const controller = new AbortController();
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const host = req.headers.host ?? 'localhost';
  const scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const body = bodyOf(req as NodeRequest);
  const init: RequestInit & { duplex?: 'half' } = {
    method: req.method ?? 'GET',
    headers,
    signal: controller.signal,
  };
  if (body !== null) {
    init.body = body;
    init.duplex = 'half';
  }
  const request = new Request(new URL(url, `${scheme}://${host}`), init);
  // undici's `request.signal` follows the controller only while the Request is reachable
  // (nodejs/node#55428): these listeners hold it until the client is gone, or a GC would leave
  // an open SSE stream that never hears its client leave.
  const abort = () => {
    if (!request.signal.aborted) controller.abort();
  };
  if (res) {
    res.once('close', () => {
      if (!res.writableFinished) abort();
    });
  } else req.once('close', abort);
  return request;
}
