import { isTidingsError } from '../errors.ts';
import type { HubContext } from './hub-context.ts';
import { beginWs } from './ws-begin.ts';
import type { WsConnection } from './ws-connection.ts';

/** Ends the socket with the close the error's code maps to (4401, 1008, 1013, 1001…). */
function endFor(ctx: HubContext, connection: WsConnection, error: unknown): void {
  if (isTidingsError(error)) {
    connection.end(error.code);
    return;
  }
  ctx.report(error, { stage: 'internal', route: 'ws' });
  connection.end('internal');
}

/**
 * The first message of a socket that opened without a credential: verify the token, authorize the
 * URL's topics, count the connection for its user, then `welcome` and start. Any refusal closes the
 * socket with its code's close (a bad token 4401); nothing was subscribed or sent before.
 */
export async function authenticateFirst(
  ctx: HubContext,
  connection: WsConnection,
  token: string,
): Promise<void> {
  const awaiting = connection.awaiting;
  if (!awaiting) return;
  try {
    const principal = await ctx.verifyToken(token, connection.request);
    if (connection.closed) return;
    await ctx.auth.authorize(principal, awaiting.topics, 'subscribe', 'ws');
    if (connection.closed) return;
    // The user's seat in the cluster (maxConnectionsPerUser across nodes), now that it is known.
    const seat = ctx.takeSeat(principal);
    if (seat) await seat;
    const user = principal.id;
    if (connection.closed) {
      if (user !== undefined) ctx.operator.cluster.freeSeat(user);
      return;
    }
    try {
      ctx.registry.identify(connection, principal);
    } catch (error) {
      if (user !== undefined) ctx.operator.cluster.freeSeat(user);
      throw error;
    }
    connection.expiresAt = principal.expiresAt;
  } catch (error) {
    endFor(ctx, connection, error);
    return;
  }
  connection.awaiting = undefined;
  ctx.ticker.schedule(connection);
  await beginWs(ctx, connection, awaiting.topics, awaiting.cursor);
}

/**
 * A fresh token on an open socket: same principal id required, its topics authorized again, and
 * the connection's expiry moved (no reconnect, so nothing is replayed or lost). Answered with
 * `authenticated`. A token that is refused, or names someone else, closes the socket 4401; a key
 * set that cannot be fetched right now is only an `error` frame (thrown), the old expiry stands.
 */
export async function refreshAuth(ctx: HubContext, connection: WsConnection, token: string): Promise<void> {
  let principal: Awaited<ReturnType<HubContext['verifyToken']>>;
  try {
    principal = await ctx.verifyToken(token, connection.request);
  } catch (error) {
    if (isTidingsError(error) && error.code === 'unavailable') throw error;
    endFor(ctx, connection, error);
    return;
  }
  if (connection.closed) return;
  if (principal.id !== connection.principal.id) {
    connection.end('unauthorized');
    return;
  }
  try {
    await ctx.auth.authorize(principal, connection.topics, 'subscribe', 'ws');
  } catch (error) {
    endFor(ctx, connection, error);
    return;
  }
  if (connection.closed) return;
  ctx.registry.identify(connection, principal);
  connection.expiresAt = principal.expiresAt;
  ctx.ticker.schedule(connection);
  connection.send({ type: 'authenticated', expiresAt: principal.expiresAt ?? null });
}
