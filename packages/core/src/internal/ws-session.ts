import { isDuplicatePublish } from '../broker.ts';
import { isTidingsError, TidingsError } from '../errors.ts';
import { decodeClientMessage } from '../protocol/codec.ts';
import type { ClientMessage } from '../protocol/messages.ts';
import type { SocketHandlers } from '../socket-port.ts';
import type { HubContext } from './hub-context.ts';
import { scopeIdempotencyKey } from './idempotency-scope.ts';
import { readCursor } from './query.ts';
import { authenticateFirst, refreshAuth } from './ws-auth.ts';
import type { WsConnection } from './ws-connection.ts';

function fail(connection: WsConnection, ctx: HubContext, error: unknown, ref?: string): void {
  const e = isTidingsError(error) ? error : new TidingsError('internal', 'internal error');
  if (!isTidingsError(error)) ctx.report(error, { stage: 'internal', route: 'ws' });
  // A refused subscribe names its refused topics, as the HTTP 403 body does.
  const topics = e.topics ? [...e.topics] : undefined;
  connection.send(
    ref === undefined
      ? { type: 'error', code: e.code, message: e.message, topics }
      : { type: 'error', code: e.code, message: e.message, ref, topics },
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
    case 'auth':
      return refreshAuth(ctx, connection, message.token);
    case 'unsubscribe':
      ctx.unsubscribe(connection, message.topics);
      return;
    case 'subscribe': {
      const fresh = message.topics.filter((t) => !connection.topics.includes(t));
      if (connection.topics.length + fresh.length > ctx.options.maxTopicsPerConnection) {
        throw new TidingsError(
          'bad_request',
          `at most ${ctx.options.maxTopicsPerConnection} topics per connection`,
        );
      }
      const cursor = readCursor(message.cursor);
      await ctx.auth.authorize(connection.principal, fresh, 'subscribe', 'ws');
      await ctx.addTopics(connection, fresh, cursor);
      return;
    }
    case 'publish': {
      if (!ctx.wsPublishRate.take(connection, ctx.clock.now())) {
        throw new TidingsError('rate_limited', 'too many publishes', { retryAfterMs: 1000 });
      }
      await ctx.auth.authorize(connection.principal, [message.topic], 'publish', 'ws');
      const key =
        message.key === undefined ? undefined : scopeIdempotencyKey(connection.principal, message.key);
      const result = await ctx.publish(message.topic, message.data, message.event, 'ws', undefined, key);
      if (message.ref === undefined) return;
      connection.send(
        isDuplicatePublish(result)
          ? { type: 'ack', ref: message.ref, id: result.id, duplicate: true }
          : { type: 'ack', ref: message.ref, id: result.id },
      );
    }
  }
}

/**
 * What an accepted socket reports, handled for one connection. A class, not an object of closures:
 * an idle socket then costs one small object here (idle memory per connection is a benchmark target).
 */
export class WsSession implements SocketHandlers {
  readonly #ctx: HubContext;
  readonly #connection: WsConnection;

  constructor(ctx: HubContext, connection: WsConnection) {
    this.#ctx = ctx;
    this.#connection = connection;
  }

  message(data: string, binary?: boolean, byteLength?: number): void {
    const ctx = this.#ctx;
    const connection = this.#connection;
    if (connection.closed) return;
    connection.alive();
    if (connection.awaiting && !connection.awaiting.verifying) {
      // A socket that opened without a credential must send it first; anything else ends it.
      const decoded =
        binary || data.length > ctx.options.maxMessageBytes
          ? undefined
          : decodeClientMessage(data, ctx.options.maxTopicsPerConnection);
      if (!decoded?.ok || decoded.message.type !== 'auth') {
        connection.end('unauthorized');
        return;
      }
      connection.awaiting.verifying = true;
      const token = decoded.message.token;
      this.#enqueue(() => authenticateFirst(ctx, connection, token));
      return;
    }
    if (binary) {
      // Too big is checked first, as for text: the limit's close code does not depend on the opcode.
      if (byteLength !== undefined && byteLength > ctx.options.maxMessageBytes) {
        connection.end('payload_too_large');
        return;
      }
      if (!strike(connection, ctx))
        fail(connection, ctx, new TidingsError('bad_request', 'binary frames are not supported'));
      return;
    }
    // A string of n UTF-16 units is at least n bytes: over the limit in units is over it in bytes.
    if (data.length > ctx.options.maxMessageBytes) {
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
    this.#enqueue(() => run(ctx, connection, message), ref);
  }

  // Messages run one after another on the connection's queue; a failure becomes an `error` frame.
  #enqueue(task: () => Promise<void>, ref?: string): void {
    const ctx = this.#ctx;
    const connection = this.#connection;
    const queue: Promise<void> = (connection.queue ?? Promise.resolve())
      .then(() => (connection.closed ? undefined : task()))
      .catch((error) => {
        if (!connection.closed) fail(connection, ctx, error, ref);
      })
      .finally(() => {
        if (connection.queue === queue) connection.queue = undefined;
      });
    connection.queue = queue;
  }

  pong(): void {
    this.#connection.alive();
  }

  closed(): void {
    this.#connection.gone();
  }
}
