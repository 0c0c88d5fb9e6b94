import { TidingsError } from '../errors.ts';
import { formatEventId } from '../event-id.ts';
import type { HubRequest } from '../hub-request.ts';
import { errorAnswer, requestUrl, toResponse } from '../internal/http.ts';
import type { HubContext } from '../internal/hub-context.ts';
import { readCursor, readTopics } from '../internal/query.ts';
import { WsConnection } from '../internal/ws-connection.ts';
import { WsSession } from '../internal/ws-session.ts';
import { CLOSE_CODES } from '../protocol/codes.ts';
import type { SocketHandlers, SocketPort } from '../socket-port.ts';
import type { RequestContext } from '../stream-port.ts';

/**
 * The hub's answer to a WebSocket upgrade request, given before the upgrade happens. Accepted: the
 * connection already holds its limit slot; the adapter upgrades, then calls `accept` with its
 * socket port, or `abort` if the upgrade failed. Refused: send `response` as the HTTP answer.
 */
export type UpgradeDecision =
  | { accepted: true; accept(port: SocketPort): SocketHandlers; abort(): void }
  | { accepted: false; response: Response };

/** Decides a WebSocket upgrade: method, topics, cursor, origin, token, permissions and limits. */
export async function decideUpgrade(
  ctx: HubContext,
  request: HubRequest,
  context: RequestContext = {},
): Promise<UpgradeDecision> {
  try {
    if (ctx.draining)
      throw new TidingsError('unavailable', 'server is shutting down', ctx.options.retryAfterS);
    if (request.method !== 'GET') throw new TidingsError('method_not_allowed', 'use GET');
    const url = requestUrl(request);
    const topics = readTopics(url, ctx.options.maxTopicsPerConnection, false);
    const cursor = readCursor(url.searchParams.get('cursor'));
    const principal = await ctx.auth.authenticate(request, url);
    await ctx.auth.authorize(principal, topics, 'subscribe');
    const connection = new WsConnection(ctx, principal, context.clientAddress, ctx.options.maxBufferedBytes);
    ctx.admit(connection);
    return {
      accepted: true,
      accept(port) {
        // Ended between the decision and the upgrade (shutdown, token expiry): its slot is already
        // free, so close the new socket at once. Subscribing it here would leave a dead entry in the
        // topic index and a socket nobody ever closes.
        if (connection.closed) {
          const { code, reason } = connection.endedBeforeAccept ?? {
            code: CLOSE_CODES.goingAway,
            reason: 'shutdown',
          };
          port.close(code, reason);
          return { message() {}, pong() {}, closed() {} };
        }
        connection.port = port;
        const head = ctx.head();
        connection.send({
          type: 'welcome',
          connectionId: connection.id,
          cursor: formatEventId(head.epoch, head.seq),
          heartbeat: ctx.options.heartbeatMs,
        });
        const started: Promise<void> = ctx
          .start(connection, topics, cursor)
          .catch((error) => {
            if (!(error instanceof TidingsError)) ctx.options.onError?.(error);
            connection.end(error instanceof TidingsError ? error.code : 'internal');
          })
          .finally(() => {
            if (connection.queue === started) connection.queue = undefined;
          });
        connection.queue = started;
        return new WsSession(ctx, connection);
      },
      abort() {
        connection.gone();
      },
    };
  } catch (error) {
    return { accepted: false, response: toResponse(errorAnswer(error, ctx.options.onError)) };
  }
}
