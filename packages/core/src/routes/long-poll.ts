import { type EventPosition, formatEventId } from '../event-id.ts';
import type { HubAnswer, HubRequest } from '../hub-request.ts';
import { onClientGone } from '../internal/client-gone.ts';
import { jsonAnswer } from '../internal/http.ts';
import type { HubContext } from '../internal/hub-context.ts';
import { isLogRead, readLog } from '../internal/log-answer.ts';
import { LongPollConnection, pollBody } from '../internal/long-poll-connection.ts';
import { readTimeoutMs } from '../internal/query.ts';
import { readSubscription } from '../internal/subscription.ts';
import type { RequestContext } from '../stream-port.ts';

/** The answer for a cursor with retained events after it (or a reset); undefined when there are none. */
async function answerFromLog(
  ctx: HubContext,
  topics: readonly string[],
  cursor: EventPosition,
): Promise<HubAnswer | undefined> {
  const read = await readLog(ctx, topics, cursor, 'long-poll');
  if (!isLogRead(read)) return read;
  const { events, lost, flagged } = read;
  if (events.length === 0 && !lost) return undefined;
  for (const record of events) ctx.delivered('long-poll', record);
  const next = events.length ? events.at(-1)!.id : formatEventId(cursor.epoch, cursor.seq);
  return jsonAnswer(200, pollBody(events, next, lost, undefined, flagged));
}

/**
 * `GET {path}/long-poll`: answers at once when events are pending, else holds the request (as a
 * connection, within the limits) until one arrives or the timeout passes. Aborting the request
 * frees the slot at once.
 */
export async function handleLongPoll(
  ctx: HubContext,
  request: HubRequest,
  url: URL,
  context: RequestContext,
): Promise<HubAnswer> {
  const waitMs = readTimeoutMs(url, ctx.options.longPollTimeoutMs, ctx.options.longPollMaxTimeoutMs);
  const { topics, cursor, principal } = await readSubscription(ctx, request, url, 'long-poll');
  const head = ctx.head();
  // A client behind head (the usual case under load: events arrived while its answer travelled)
  // is answered at once from the log, like a short poll, without taking and freeing a slot.
  if (cursor && (cursor.epoch !== head.epoch || cursor.seq < head.seq)) {
    const caughtUp = await answerFromLog(ctx, topics, cursor);
    if (caughtUp) return caughtUp;
  }
  // A cluster seat, for maxConnectionsPerUser across nodes (nothing to wait for when anonymous).
  const seat = ctx.takeSeat(principal);
  if (seat) await seat;
  const now = cursor ?? ctx.head();
  const start = formatEventId(now.epoch, now.seq);
  return new Promise<HubAnswer>((resolve, reject) => {
    const waitUntil = ctx.clock.now() + waitMs;
    const connection = new LongPollConnection(
      ctx,
      principal,
      context.clientAddress,
      waitUntil,
      start,
      resolve,
    );
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
