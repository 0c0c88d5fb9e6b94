import { formatEventId } from '../event-id.ts';
import type { HubAnswer, HubRequest } from '../hub-request.ts';
import { jsonAnswer } from '../internal/http.ts';
import type { HubContext } from '../internal/hub-context.ts';
import { isLogRead, readLog } from '../internal/log-answer.ts';
import { pollBody } from '../internal/long-poll-connection.ts';
import { readTimeoutMs } from '../internal/query.ts';
import { readSubscription } from '../internal/subscription.ts';

/**
 * `GET {path}/poll`: answers at once with what is retained after the cursor. Not a connection.
 * Also `HEAD {path}/long-poll` (`route`), which must not wait: the timeout is checked, not used.
 */
export async function handlePoll(
  ctx: HubContext,
  request: HubRequest,
  url: URL,
  route: 'poll' | 'long-poll' = 'poll',
): Promise<HubAnswer> {
  if (route === 'long-poll')
    readTimeoutMs(url, ctx.options.longPollTimeoutMs, ctx.options.longPollMaxTimeoutMs);
  const { topics, cursor } = await readSubscription(ctx, request, url, route);
  if (!cursor) {
    const head = ctx.head();
    return jsonAnswer(200, pollBody([], formatEventId(head.epoch, head.seq)));
  }
  const read = await readLog(ctx, topics, cursor, route);
  if (!isLogRead(read)) return read;
  const last = read.events.at(-1);
  // With nothing new, the cursor stays where the client is (not head): an event published between
  // the read and the answer is then still found next time.
  const next = last ? last.id : formatEventId(cursor.epoch, cursor.seq);
  return jsonAnswer(200, pollBody(read.events, next, read.lost, undefined, read.flagged));
}
