import { TidingsError } from '../errors.ts';
import type { HubRequest } from '../hub-request.ts';
import { onClientGone } from '../internal/client-gone.ts';
import type { HubContext } from '../internal/hub-context.ts';
import { readCursor, readTopics } from '../internal/query.ts';
import { createReadableStreamPort } from '../internal/readable-stream-port.ts';
import { SseConnection } from '../internal/sse-connection.ts';
import { sseOpening } from '../protocol/sse.ts';
import type { RequestContext } from '../stream-port.ts';

function sseHeaders(): Headers {
  return new Headers({
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
  });
}

/**
 * `GET {base}/sse`: a 200 event stream. Resume from `Last-Event-ID` (what browsers send on
 * reconnect) or `cursor`. Written through the adapter's direct StreamPort when there is one,
 * otherwise through a ReadableStream answer.
 */
export async function handleSse(
  ctx: HubContext,
  request: HubRequest,
  url: URL,
  context: RequestContext,
): Promise<Response | undefined> {
  const topics = readTopics(url, ctx.options.maxTopicsPerConnection, true);
  const cursor = readCursor(request.headers.get('last-event-id') || url.searchParams.get('cursor'));
  const principal = await ctx.auth.authenticate(request, url);
  await ctx.auth.authorize(principal, topics, 'subscribe');
  let connection: SseConnection | undefined;
  const web = context.stream ? undefined : createReadableStreamPort(() => connection?.gone());
  const port = context.stream ?? web!.port;
  connection = new SseConnection(
    ctx,
    principal,
    context.clientAddress,
    port,
    ctx.options.maxBufferedBytes,
    ctx.options.sseRetryMs,
  );
  ctx.admit(connection);
  const sse = connection;
  // The client may have left while the awaits above ran: its going-away has been reported already.
  if (!onClientGone(request, context, () => sse.gone())) {
    sse.gone();
    web?.port.end();
    return web?.response();
  }
  port.open(200, sseHeaders());
  port.write(sseOpening(ctx.options.sseRetryMs));
  ctx.start(sse, topics, cursor).catch((error) => {
    // A known failure (the broker is unavailable) tells the client what it is; anything else is internal.
    if (!(error instanceof TidingsError)) ctx.options.onError?.(error);
    sse.end(error instanceof TidingsError ? error.code : 'internal');
  });
  return web?.response();
}
