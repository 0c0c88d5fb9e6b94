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

/** What the log retains after a cursor, for an answer at once. */
export interface LogRead {
  events: readonly EventRecord[];
  /** The topics that lost events after the cursor (their retained ones are in `events`). */
  lost?: readonly string[];
  /** Events of conflated topics that stand for older ones left out: sent with `"conflated":true`. */
  flagged?: ReadonlySet<EventRecord>;
}

/**
 * Reads what the log retains after `cursor` on `topics`, for an answer at once (a short poll, a
 * long poll that is behind): the events (and the topics that lost some), or, when nothing can be
 * said, the reset answer.
 */
export async function readLog(
  ctx: HubContext,
  topics: readonly string[],
  cursor: EventPosition,
  route: string,
): Promise<LogRead | HubAnswer> {
  const result = await ctx.readAfter(topics, cursor, route);
  const transport = route === 'poll' ? 'poll' : 'long-poll';
  if ('reset' in result) {
    ctx.resetSent(transport);
    // A poll has no stream to replay into: the client asks again from the reset point.
    return resetAnswer(ctx.resetPoint(cursor));
  }
  if (result.lost) ctx.resetSent(transport, result.lost);
  const read: LogRead = { events: result.events };
  if (result.lost) read.lost = result.lost;
  // Conflated topics answer with the newest event per name since the cursor.
  const squashed = ctx.conflation?.squash(result.events);
  if (squashed) {
    read.events = squashed.records;
    read.flagged = squashed.flagged;
  }
  return read;
}

/** True when `read` is a log read, not a finished (reset) answer. */
export function isLogRead(read: LogRead | HubAnswer): read is LogRead {
  return 'events' in read;
}
