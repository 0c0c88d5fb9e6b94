import { TidingsError } from '../errors.ts';
import type { HubAnswer, HubRequest } from '../hub-request.ts';
import { errorAnswer, requestUrl } from '../internal/http.ts';
import type { HubContext } from '../internal/hub-context.ts';
import { readSubscription } from '../internal/subscription.ts';
import { beginWs } from '../internal/ws-begin.ts';
import { closeFor, WsConnection } from '../internal/ws-connection.ts';
import { WsSession } from '../internal/ws-session.ts';
import type { SocketHandlers, SocketPort } from '../socket-port.ts';
import type { RequestContext } from '../stream-port.ts';

/**
 * The hub's answer to a WebSocket upgrade request, given before the upgrade happens. Accepted: the
 * connection already holds its limit slot; the adapter upgrades, then calls `accept` with its
 * socket port, or `abort` if the upgrade failed. Refused: send `answer` as the HTTP answer.
 */
export type UpgradeDecision =
  | { accepted: true; accept(port: SocketPort): SocketHandlers; abort(): void }
  | { accepted: false; answer: HubAnswer };

const NO_HANDLERS: SocketHandlers = { message() {}, pong() {}, closed() {} };
// Who a socket is while it waits for its `auth` message: nobody (no id, so no per-user count yet).
const NOBODY = Object.freeze({});

/**
 * Decides a WebSocket upgrade: method, topics, cursor, origin, credential, permissions and limits.
 * An upgrade with no credential, on a hub that needs one, is accepted to wait for its first message
 * (`{"type":"auth","token":"…"}`, within `authTimeoutMs`), so no token has to travel in the URL.
 */
export async function decideUpgrade(
  ctx: HubContext,
  request: HubRequest,
  context: RequestContext = {},
): Promise<UpgradeDecision> {
  try {
    if (request.method !== 'GET') throw new TidingsError('method_not_allowed', 'use GET');
    const refused = ctx.admitStream();
    if (refused) throw refused;
    const url = requestUrl(request);
    const { topics, cursor, principal } = await readSubscription(ctx, request, url, 'ws');
    // A cluster seat, for maxConnectionsPerUser across nodes (nothing to wait for when anonymous, or
    // while a socket still has to say who it is: its seat is taken at its auth message).
    const seat = principal && ctx.takeSeat(principal);
    if (seat) await seat;
    const connection = new WsConnection(ctx, principal ?? NOBODY, context.clientAddress);
    if (!principal) {
      const deadlineMs = Date.now() + ctx.options.authTimeoutMs;
      connection.awaiting = { deadlineMs, topics, cursor, verifying: false };
    }
    if (ctx.options.authenticate) connection.request = request;
    ctx.admit(connection);
    return {
      accepted: true,
      accept(port) {
        // Ended between the decision and the upgrade (shutdown, token expiry): its slot is already
        // free, so close the new socket at once. Subscribing it here would leave a dead entry in the
        // topic index and a socket nobody ever closes.
        if (connection.closed) {
          const { code, reason } = connection.endedBeforeAccept ?? closeFor('shutdown');
          port.close(code, reason);
          return NO_HANDLERS;
        }
        connection.port = port;
        if (!connection.awaiting) {
          const started: Promise<void> = beginWs(ctx, connection, topics, cursor).finally(() => {
            if (connection.queue === started) connection.queue = undefined;
          });
          connection.queue = started;
        }
        return new WsSession(ctx, connection);
      },
      abort() {
        connection.gone();
      },
    };
  } catch (error) {
    return { accepted: false, answer: errorAnswer(error, 'ws', ctx.options.onError) };
  }
}
