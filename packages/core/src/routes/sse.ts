import { isTidingsError } from '../errors.ts';
import { formatEventId } from '../event-id.ts';
import type { HubRequest } from '../hub-request.ts';
import { onClientGone } from '../internal/client-gone.ts';
import type { HubContext } from '../internal/hub-context.ts';
import { createReadableStreamPort } from '../internal/readable-stream-port.ts';
import { SseConnection } from '../internal/sse-connection.ts';
import { readSubscription } from '../internal/subscription.ts';
import { sseCloseFrame, sseOpening } from '../protocol/sse.ts';
import type { RequestContext } from '../stream-port.ts';

// One object for every stream: a Headers per stream, and iterating it, were most of the garbage
// opening a stream made (idle memory per stream is a benchmark target).
const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
});

/**
 * `HEAD {path}/sse`, once the request passed the checks a GET gets: the headers a stream would
 * open with, and the end. No stream, no connection slot (so the connection limits are not asked).
 */
function sseHead(context: RequestContext): Response | undefined {
  const web = context.stream ? undefined : createReadableStreamPort(() => {});
  const port = context.stream ?? web!.port;
  port.open(200, SSE_HEADERS);
  port.end();
  return web?.response();
}

/**
 * The answer to an SSE request the hub cannot take now (it is closing, or past
 * `maxConnectionsPerSecond`): a stream that says only `close` (`unavailable`) with when to come
 * back, also as `retry:`, then ends. Not a 503: a browser's `EventSource` gives up for good on any
 * non-200 answer, and reconnects after `retry:` when a 200 stream ends.
 */
function refuseStream(context: RequestContext, retryMs: number): Response | undefined {
  const web = context.stream ? undefined : createReadableStreamPort(() => {});
  const port = context.stream ?? web!.port;
  port.open(200, SSE_HEADERS);
  port.write(sseCloseFrame('unavailable', retryMs));
  port.end();
  return web?.response();
}

/**
 * `GET {path}/sse`: a 200 event stream. Resume from `Last-Event-ID` (what browsers send on
 * reconnect) or `cursor`. Written through the adapter's direct StreamPort when there is one,
 * otherwise through a ReadableStream answer.
 */
export async function handleSse(
  ctx: HubContext,
  request: HubRequest,
  url: URL,
  context: RequestContext,
): Promise<Response | undefined> {
  // A HEAD opens no stream: the throttle does not count it, only a closing hub refuses it.
  const refused =
    request.method === 'HEAD' ? (ctx.draining ? ctx.shuttingDown() : undefined) : ctx.admitStream();
  if (refused) return refuseStream(context, refused.retryAfterMs ?? 0);
  const { topics, cursor, principal } = await readSubscription(ctx, request, url, 'sse');
  if (request.method === 'HEAD') return sseHead(context);
  // A cluster seat, for maxConnectionsPerUser across nodes (nothing to wait for when anonymous).
  const seat = ctx.takeSeat(principal);
  if (seat) await seat;
  let connection: SseConnection | undefined;
  const web = context.stream ? undefined : createReadableStreamPort(() => connection?.gone());
  const port = context.stream ?? web!.port;
  connection = new SseConnection(ctx, principal, context.clientAddress, port);
  ctx.admit(connection);
  const sse = connection;
  // The client may have left while the awaits above ran: its going-away has been reported already.
  if (!onClientGone(request, context, () => sse.gone())) {
    sse.gone();
    web?.port.end();
    return web?.response();
  }
  port.open(200, SSE_HEADERS);
  // The head is read in the same turn as `start` reads it, so the opening names where the stream
  // starts; without a cursor, also as `id:`, where a plain EventSource resumes if it drops early.
  const head = ctx.head();
  const start = formatEventId(head.epoch, head.seq);
  port.write(
    sseOpening(ctx.options.sseRetryMs, ctx.options.sseHeartbeatMs, start, cursor ? undefined : start),
  );
  ctx.start(sse, topics, cursor).catch((error) => {
    // A known failure (the broker is unavailable) tells the client what it is; anything else is internal.
    if (isTidingsError(error)) sse.end(error.code);
    else {
      ctx.report(error, { stage: 'internal', route: 'sse' });
      sse.end('internal');
    }
  });
  return web?.response();
}
