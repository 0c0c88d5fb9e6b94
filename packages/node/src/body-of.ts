import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** An IncomingMessage as some frameworks leave it: possibly with a body already parsed. */
export type NodeRequest = IncomingMessage & { body?: unknown; _body?: boolean };

/** The request body as a stream: none for GET/HEAD, what a parser left (as one chunk), or the socket's stream. */
export function bodyOf(req: NodeRequest): ReadableStream<Uint8Array> | null {
  if (req.method === 'GET' || req.method === 'HEAD') return null;
  // A body parser in front of us (express.json(), koa-bodyparser) consumed the stream: re-serialise
  // what it parsed rather than wait for bytes that will never come.
  if (req.readableEnded || req._body === true) {
    if (req.body === undefined) return null;
    const body = req.body;
    const bytes =
      typeof body === 'string'
        ? new TextEncoder().encode(body)
        : body instanceof Uint8Array
          ? new Uint8Array(body)
          : new TextEncoder().encode(JSON.stringify(body));
    return new ReadableStream({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
  }
  return Readable.toWeb(req) as ReadableStream<Uint8Array>;
}
