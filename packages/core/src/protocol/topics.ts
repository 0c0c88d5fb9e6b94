/** Longest topic name allowed, in characters. */
export const MAX_TOPIC_LENGTH = 128;

// PROTOCOL.md: 1-128 characters from A-Z a-z 0-9 . _ ~ : / -
const TOPIC = /^[A-Za-z0-9._~:/-]{1,128}$/;
// Event names share the topic alphabet so they can never break an SSE `event:` line.
const EVENT_NAME = /^[A-Za-z0-9._~:/-]{1,64}$/;

// Idempotency keys too: they travel in an HTTP header and are stored as keys by every broker.
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._~:/-]{1,128}$/;

/** Returns true when `value` is a valid topic name. */
export function isValidTopic(value: unknown): value is string {
  return typeof value === 'string' && TOPIC.test(value);
}

/** Returns true when `value` is a valid event name (1-64 characters of the topic alphabet). */
export function isValidEventName(value: unknown): value is string {
  return typeof value === 'string' && EVENT_NAME.test(value);
}

/**
 * Returns true when `value` is a valid idempotency key: 1-128 characters of the topic alphabet
 * (a UUID qualifies), as the WebSocket `publish` message's `key` and the `Idempotency-Key` header carry it.
 */
export function isValidIdempotencyKey(value: unknown): value is string {
  return typeof value === 'string' && IDEMPOTENCY_KEY.test(value);
}

/**
 * Parses the comma-separated `topics` query value. Returns the distinct topics in order, or a
 * reason string when the list is empty, malformed or longer than `max`.
 */
export function parseTopicList(value: string | null, max: number): string[] | string {
  if (value === null || value === '') return 'topics is required';
  const parts = value.split(',');
  if (parts.length > max) return `at most ${max} topics per connection`;
  const topics = new Set<string>();
  for (const part of parts) {
    if (!isValidTopic(part)) return 'invalid topic name';
    topics.add(part);
  }
  return [...topics];
}
