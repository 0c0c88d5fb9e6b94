import { TidingsError } from '../errors.ts';
import { formatEventId } from '../event-id.ts';
import type { HubRequest } from '../hub-request.ts';
import { errorAnswer, requestUrl, toResponse } from '../internal/http.ts';
import type { HubContext } from '../internal/hub-context.ts';
import { readCursor, readTopics } from '../internal/query.ts';
import { WsConnection } from '../internal/ws-connection.ts';
import { decodeClientMessage } from '../protocol/codec.ts';
import { CLOSE_CODES } from '../protocol/codes.ts';
import type { ClientMessage } from '../protocol/messages.ts';
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

function fail(connection: WsConnection, ctx: HubContext, error: unknown, ref?: string): void {
  const e = error instanceof TidingsError ? error : new TidingsError('internal', 'internal error');
  if (!(error instanceof TidingsError)) ctx.options.onError?.(error);
  connection.send(
    ref === undefined
      ? { type: 'error', code: e.code, message: e.message }
      : { type: 'error', code: e.code, message: e.message, ref },
  );
}

function strike(connection: WsConnection, ctx: HubContext): boolean {
  connection.strikes++;
  if (connection.strikes <= ctx.options.maxErrorsPerInterval) return false;
  connection.end('policy_violation');
  return true;
}

async function run(ctx: HubContext, connection: WsConnection, message: ClientMessage): Promise<void> {
  switch (message.type) {
    case 'ping':
      connection.send({ type: 'pong' });
      return;
    case 'pong':
      return;
    case 'unsubscribe':
      ctx.registry.unsubscribe(connection, message.topics);
      return;
    case 'subscribe': {
      const fresh = message.topics.filter((t) => !connection.topics.has(t));
      if (connection.topics.size + fresh.length > ctx.options.maxTopicsPerConnection) {
        throw new TidingsError(
          'bad_request',
          `at most ${ctx.options.maxTopicsPerConnection} topics per connection`,
        );
      }
      const cursor = readCursor(message.cursor);
      await ctx.auth.authorize(connection.principal, fresh, 'subscribe');
      await ctx.addTopics(connection, fresh, cursor);
      return;
    }
    case 'publish': {
      const now = Date.now();
      if (now - connection.publishWindowStart >= 1000) {
        connection.publishWindowStart = now;
        connection.publishCount = 0;
      }
      if (++connection.publishCount > ctx.options.maxPublishesPerSecond) {
        throw new TidingsError('rate_limited', 'too many publishes', 1);
      }
      await ctx.auth.authorize(connection.principal, [message.topic], 'publish');
      const record = await ctx.publish(message.topic, message.data, message.event);
      if (message.ref !== undefined) connection.send({ type: 'ack', ref: message.ref, id: record.id });
    }
  }
}

function handlers(ctx: HubContext, connection: WsConnection): SocketHandlers {
  const maxChars = ctx.options.maxMessageBytes;
  return {
    message(data, binary) {
      if (connection.closed) return;
      connection.alive();
      if (binary) {
        if (!strike(connection, ctx))
          fail(connection, ctx, new TidingsError('bad_request', 'binary frames are not supported'));
        return;
      }
      // A string of n UTF-16 units is at least n bytes: over the limit in units is over it in bytes.
      if (data.length > maxChars) {
        connection.end('payload_too_large');
        return;
      }
      const decoded = decodeClientMessage(data, ctx.options.maxTopicsPerConnection);
      if (!decoded.ok) {
        if (!strike(connection, ctx))
          fail(connection, ctx, new TidingsError('bad_request', decoded.reason), decoded.ref);
        return;
      }
      const message = decoded.message;
      const ref = message.type === 'publish' ? message.ref : undefined;
      connection.queue = connection.queue
        .then(() => (connection.closed ? undefined : run(ctx, connection, message)))
        .catch((error) => {
          if (!connection.closed) fail(connection, ctx, error, ref);
        });
    },
    pong() {
      connection.alive();
    },
    closed() {
      connection.gone();
    },
  };
}

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
        connection.queue = ctx.start(connection, topics, cursor).catch((error) => {
          if (!(error instanceof TidingsError)) ctx.options.onError?.(error);
          connection.end(error instanceof TidingsError ? error.code : 'internal');
        });
        return handlers(ctx, connection);
      },
      abort() {
        connection.gone();
      },
    };
  } catch (error) {
    return { accepted: false, response: toResponse(errorAnswer(error, ctx.options.onError)) };
  }
}
