import type { BrokerHead } from '../broker.ts';
import { type EventPosition, formatEventId } from '../event-id.ts';
import type { EventRecord } from '../event-record.ts';
import type { HubAnswer } from '../hub-request.ts';
import { jsonAnswer } from './http.ts';
import type { HubContext } from './hub-context.ts';

/** The poll answer that tells a client its missed events are gone and to go on from `head`. */
export function resetAnswer(head: BrokerHead): HubAnswer {
  return jsonAnswer(
    200,
    JSON.stringify({ events: [], cursor: formatEventId(head.epoch, head.seq), reset: true }),
  );
}

/**
 * Reads what the log retains after `cursor` on `topics`, for an answer at once (a short poll, a
 * long poll that is behind): the events, or, when some are gone, the reset answer.
 */
export async function readLog(
  ctx: HubContext,
  topics: readonly string[],
  cursor: EventPosition,
): Promise<readonly EventRecord[] | HubAnswer> {
  const result = await ctx.broker.readAfter(topics, cursor.epoch, cursor.seq);
  if (!('reset' in result)) return result.events;
  ctx.resetSent();
  return resetAnswer(ctx.head());
}
