import { type EventPosition, formatEventId } from '../event-id.ts';
import type { HubAnswer, HubRequest } from '../hub-request.ts';
import { onClientGone } from '../internal/client-gone.ts';
import { jsonAnswer } from '../internal/http.ts';
import type { HubContext } from '../internal/hub-context.ts';
import { readLog } from '../internal/log-answer.ts';
import { LongPollConnection, pollBody } from '../internal/long-poll-connection.ts';
import { readCursor, readTimeoutMs, readTopics } from '../internal/query.ts';
import type { RequestContext } from '../stream-port.ts';

/** The answer for a cursor with retained events after it (or a reset); undefined when there are none. */
async function answerFromLog(
  ctx: HubContext,
  topics: readonly string[],
  cursor: EventPosition,
): Promise<HubAnswer | undefined> {
  const events = await readLog(ctx, topics, cursor);
  if (!Array.isArray(events)) return events as HubAnswer;
  if (events.length === 0) return undefined;
  for (let i = 0; i < events.length; i++) ctx.delivered();
  return jsonAnswer(200, pollBody(events, events.at(-1)!.id));
}

/**
 * `GET {base}/long-poll`: answers at once when events are pending, else holds the request (as a
 * connection, within the limits) until one arrives or the timeout passes. Aborting the request
 * frees the slot at once.
 */
export async function handleLongPoll(
  ctx: HubContext,
  request: HubRequest,
  url: URL,
  context: RequestContext,
): Promise<HubAnswer> {
  const topics = readTopics(url, ctx.options.maxTopicsPerConnection, true);
  const cursor = readCursor(url.searchParams.get('cursor'));
  const waitMs = readTimeoutMs(url, ctx.options.longPollTimeoutS, ctx.options.longPollMaxTimeoutS);
  const principal = await ctx.auth.authenticate(request, url);
  await ctx.auth.authorize(principal, topics, 'subscribe');
  const head = ctx.head();
  // A client behind head (the usual case under load: events arrived while its answer travelled)
  // is answered at once from the log, like a short poll, without taking and freeing a slot.
  if (cursor && (cursor.epoch !== head.epoch || cursor.seq < head.seq)) {
    const caughtUp = await answerFromLog(ctx, topics, cursor);
    if (caughtUp) return caughtUp;
  }
  const start = cursor ? formatEventId(cursor.epoch, cursor.seq) : formatEventId(head.epoch, head.seq);
  return new Promise<HubAnswer>((resolve, reject) => {
    const connection = new LongPollConnection(ctx, principal, context.clientAddress, waitMs, start, resolve);
    try {
      ctx.admit(connection);
    } catch (error) {
      reject(error);
      return;
    }
    if (!onClientGone(request, context, () => connection.gone())) {
      connection.gone();
      return;
    }
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
