import { TidingsError } from '../errors.ts';
import { decodeClientMessage } from '../protocol/codec.ts';
import type { ClientMessage } from '../protocol/messages.ts';
import type { SocketHandlers } from '../socket-port.ts';
import type { HubContext } from './hub-context.ts';
import { readCursor } from './query.ts';
import type { WsConnection } from './ws-connection.ts';

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
      const fresh = message.topics.filter((t) => !connection.topics.includes(t));
      if (connection.topics.length + fresh.length > ctx.options.maxTopicsPerConnection) {
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

  message(data: string, binary?: boolean): void {
    const ctx = this.#ctx;
    const connection = this.#connection;
    if (connection.closed) return;
    connection.alive();
    if (binary) {
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
    const queue: Promise<void> = (connection.queue ?? Promise.resolve())
      .then(() => (connection.closed ? undefined : run(ctx, connection, message)))
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
