import { type ClientMessage, MAX_TOKEN_LENGTH, type ServerMessage } from './messages.ts';
import { isValidEventName, isValidIdempotencyKey, isValidTopic } from './topics.ts';

/** Result of decoding a client message: the message, or why it was refused (with its `ref` when one was readable). */
export type DecodeResult = { ok: true; message: ClientMessage } | { ok: false; reason: string; ref?: string };

/**
 * Serialises a value as JSON for the wire. Returns undefined for values JSON cannot carry
 * (undefined, functions, symbols, BigInt, cycles) so callers can refuse them with a clear error.
 */
export function toJson(value: unknown): string | undefined {
  try {
    const text = JSON.stringify(value);
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds the envelope JSON from parts, with `dataJson` already serialised: the data is
 * stringified once per publish and spliced in, never re-encoded per subscriber.
 */
export function encodeEnvelope(id: string, topic: string, event: string, dataJson: string): string {
  return `{"id":${JSON.stringify(id)},"topic":${JSON.stringify(topic)},"event":${JSON.stringify(event)},"data":${dataJson}}`;
}

/** Turns an envelope JSON object into the WebSocket `event` message without parsing it again. */
export function toEventMessage(envelopeJson: string): string {
  return `{"type":"event",${envelopeJson.slice(1)}`;
}

/** Serialises a server message. */
export function encodeServerMessage(message: ServerMessage): string {
  return JSON.stringify(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readRef(value: Record<string, unknown>): string | undefined | false {
  if (!('ref' in value)) return undefined;
  return typeof value.ref === 'string' && value.ref.length <= 128 ? value.ref : false;
}

function readTopics(value: unknown, max: number): string[] | string {
  if (!Array.isArray(value) || value.length === 0) return 'topics must be a non-empty array';
  if (value.length > max) return `at most ${max} topics per connection`;
  for (const topic of value) if (!isValidTopic(topic)) return 'invalid topic name';
  return [...new Set(value as string[])];
}

/**
 * Decodes and validates one text frame from a client. Never throws: anything malformed comes back
 * as `{ ok: false, reason }`, which the hub turns into an `error` frame.
 */
export function decodeClientMessage(text: string, maxTopics: number): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'message is not valid JSON' };
  }
  if (!isRecord(value)) return { ok: false, reason: 'message must be a JSON object' };
  const ref = readRef(value);
  if (ref === false) return { ok: false, reason: 'ref must be a string of at most 128 characters' };
  const fail = (reason: string): DecodeResult =>
    ref === undefined ? { ok: false, reason } : { ok: false, reason, ref };
  switch (value.type) {
    case 'ping':
    case 'pong':
      return { ok: true, message: { type: value.type } };
    case 'subscribe':
    case 'unsubscribe': {
      const topics = readTopics(value.topics, maxTopics);
      if (typeof topics === 'string') return fail(topics);
      if (value.type === 'unsubscribe') return { ok: true, message: { type: 'unsubscribe', topics } };
      if ('cursor' in value && typeof value.cursor !== 'string') return fail('cursor must be a string');
      const message: ClientMessage = { type: 'subscribe', topics };
      if (typeof value.cursor === 'string') message.cursor = value.cursor;
      return { ok: true, message };
    }
    case 'publish': {
      if (!isValidTopic(value.topic)) return fail('invalid topic name');
      if ('event' in value && !isValidEventName(value.event)) return fail('invalid event name');
      if (!('data' in value)) return fail('data is required');
      if ('key' in value && !isValidIdempotencyKey(value.key)) {
        return fail('key must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ : / -');
      }
      const message: ClientMessage = { type: 'publish', topic: value.topic, data: value.data };
      if (typeof value.event === 'string') message.event = value.event;
      if (ref !== undefined) message.ref = ref;
      if (typeof value.key === 'string') message.key = value.key;
      return { ok: true, message };
    }
    case 'auth': {
      // The reason never quotes the token: error frames and logs must not carry credentials.
      const { token } = value;
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        return fail(`token must be a string of 1 to ${MAX_TOKEN_LENGTH} characters`);
      }
      return { ok: true, message: { type: 'auth', token } };
    }
    default:
      return fail('unknown message type');
  }
}
