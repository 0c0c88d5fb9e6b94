import type { Broker, PublishInput } from '../broker.ts';
import { TidingsError } from '../errors.ts';
import type { ResolvedOptions } from '../options.ts';
import { toJson } from '../protocol/codec.ts';
import { RESERVED_EVENT_PREFIX } from '../protocol/presence.ts';
import { isValidEventName, isValidTopic } from '../protocol/topics.ts';

const encoder = new TextEncoder();

/** What a publish asks for, before it is checked: from server code or a client's HTTP/WS publish. */
export interface PublishRequest {
  topic: unknown;
  data: unknown;
  event: unknown;
  /** The route a client published through; absent for server code. */
  route?: string | undefined;
  /** The app's transaction (server code only), for a transactional broker. */
  tx?: unknown;
  /** An idempotency key already scoped to its caller (see idempotency-scope.ts). */
  key?: string | undefined;
}

/**
 * Checks a publish and serialises its data once, giving what the broker stores. Throws a
 * `TidingsError` for a client's mistake and a `TypeError` for server code asking for what this
 * broker cannot do, so neither reaches the broker.
 */
export function toPublishInput(
  request: PublishRequest,
  options: Pick<ResolvedOptions, 'maxMessageBytes' | 'idempotencyWindowMs'>,
  broker: Pick<Broker, 'transactional' | 'idempotent'>,
): PublishInput {
  const { topic, data, event, route, tx, key } = request;
  if (tx !== undefined && !broker.transactional) {
    throw new TypeError('publish({ tx }) needs a transactional broker, such as @tidings/postgres');
  }
  if (key !== undefined && !broker.idempotent) {
    // Server code gets a programming error; a client a refusal it must not retry.
    if (route === undefined) {
      throw new TypeError(
        'publish({ idempotencyKey }) needs a broker with idempotency keys (Broker.idempotent)',
      );
    }
    throw new TidingsError('bad_request', 'this server does not take idempotency keys');
  }
  if (!isValidTopic(topic)) throw new TidingsError('bad_request', 'invalid topic name');
  if (!isValidEventName(event)) throw new TidingsError('bad_request', 'invalid event name');
  if (event.startsWith(RESERVED_EVENT_PREFIX)) {
    throw new TidingsError('bad_request', `event names starting with ${RESERVED_EVENT_PREFIX} are reserved`);
  }
  const json = toJson(data);
  if (json === undefined) throw new TidingsError('bad_request', 'data must be JSON-serialisable');
  // Characters are at most 3 UTF-8 bytes each, so short data skips the encode entirely.
  if (json.length * 3 > options.maxMessageBytes && encoder.encode(json).length > options.maxMessageBytes) {
    throw new TidingsError('payload_too_large', `data over ${options.maxMessageBytes} bytes`);
  }
  const input: PublishInput = { topic, event, data: json };
  if (tx !== undefined) input.tx = tx;
  if (key !== undefined) input.idempotency = { key, windowMs: options.idempotencyWindowMs };
  return input;
}
