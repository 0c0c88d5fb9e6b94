import { isTidingsError } from '../errors.ts';
import type { EventPosition } from '../event-id.ts';
import { formatEventId } from '../event-id.ts';
import type { HubContext } from './hub-context.ts';
import type { WsConnection } from './ws-connection.ts';

/**
 * Starts an authenticated socket: the `welcome`, then its URL topics (replayed after the cursor).
 * Messages that arrive meanwhile queue behind the start, so a `subscribe` never overtakes it.
 */
export function beginWs(
  ctx: HubContext,
  connection: WsConnection,
  topics: readonly string[],
  cursor: EventPosition | undefined,
): Promise<void> {
  const head = ctx.head();
  connection.send({
    type: 'welcome',
    connectionId: connection.id,
    cursor: formatEventId(head.epoch, head.seq),
    heartbeat: ctx.options.heartbeatMs,
  });
  return ctx.start(connection, topics, cursor).catch((error) => {
    if (isTidingsError(error)) connection.end(error.code);
    else {
      ctx.report(error, { stage: 'internal', route: 'ws' });
      connection.end('internal');
    }
  });
}
