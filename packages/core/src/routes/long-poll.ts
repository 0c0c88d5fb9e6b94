import { formatEventId } from '../event-id.ts';
import type { HubContext } from '../internal/hub-context.ts';
import { LongPollConnection } from '../internal/long-poll-connection.ts';
import { readCursor, readTimeoutMs, readTopics } from '../internal/query.ts';
import type { RequestContext } from '../stream-port.ts';

/**
 * `GET {base}/long-poll`: answers at once when events are pending, else holds the request (as a
 * connection, within the limits) until one arrives or the timeout passes. Aborting the request
 * frees the slot at once.
 */
export async function handleLongPoll(
  ctx: HubContext,
  request: Request,
  url: URL,
  context: RequestContext,
): Promise<Response> {
  const topics = readTopics(url, ctx.options.maxTopicsPerConnection, true);
  const cursor = readCursor(url.searchParams.get('cursor'));
  const waitMs = readTimeoutMs(url, ctx.options.longPollTimeoutS, ctx.options.longPollMaxTimeoutS);
  const principal = await ctx.auth.authenticate(request, url);
  await ctx.auth.authorize(principal, topics, 'subscribe');
  const head = ctx.head();
  const start = cursor ? formatEventId(cursor.epoch, cursor.seq) : formatEventId(head.epoch, head.seq);
  return new Promise<Response>((resolve, reject) => {
    const connection = new LongPollConnection(ctx, principal, context.clientAddress, waitMs, start, resolve);
    try {
      ctx.admit(connection);
    } catch (error) {
      reject(error);
      return;
    }
    const signal = request.signal;
    const onAbort = () => connection.gone();
    if (signal.aborted) {
      connection.gone();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    ctx.start(connection, topics, cursor).then(
      () => {
        if (waitMs === 0 && !connection.closed) connection.answer();
      },
      (error) => {
        reject(error); // first, so the error (not gone()'s empty answer) settles the request
        connection.gone();
      },
    );
  });
}
