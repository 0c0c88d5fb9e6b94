import { formatEventId } from '../event-id.ts';
import type { HubAnswer, HubRequest } from '../hub-request.ts';
import { jsonAnswer } from '../internal/http.ts';
import type { HubContext } from '../internal/hub-context.ts';
import { readLog } from '../internal/log-answer.ts';
import { pollBody } from '../internal/long-poll-connection.ts';
import { readCursor, readTopics } from '../internal/query.ts';

/** `GET {base}/poll`: answers at once with what is retained after the cursor. Not a connection. */
export async function handlePoll(ctx: HubContext, request: HubRequest, url: URL): Promise<HubAnswer> {
  const topics = readTopics(url, ctx.options.maxTopicsPerConnection, true);
  const cursor = readCursor(url.searchParams.get('cursor'));
  const principal = await ctx.auth.authenticate(request, url);
  await ctx.auth.authorize(principal, topics, 'subscribe');
  const head = ctx.head();
  const headId = formatEventId(head.epoch, head.seq);
  if (!cursor) return jsonAnswer(200, pollBody([], headId));
  const events = await readLog(ctx, topics, cursor);
  if (!Array.isArray(events)) return events as HubAnswer;
  const last = events.at(-1);
  // With nothing new, the cursor stays where the client is (not head): an event published between
  // the read and the answer is then still found next time.
  return jsonAnswer(200, pollBody(events, last ? last.id : formatEventId(cursor.epoch, cursor.seq)));
}
