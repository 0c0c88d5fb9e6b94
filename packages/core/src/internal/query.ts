import { TidingsError } from '../errors.ts';
import { type EventPosition, parseEventId } from '../event-id.ts';
import { parseTopicList } from '../protocol/topics.ts';

/** Reads `topics`: required for streams and polls, optional for a WebSocket (which may subscribe later). */
export function readTopics(url: URL, max: number, required: boolean): string[] {
  const value = url.searchParams.get('topics');
  if (!required && (value === null || value === '')) return [];
  const topics = parseTopicList(value, max);
  if (typeof topics === 'string') throw new TidingsError('bad_request', topics);
  return topics;
}

/** Parses a cursor; an empty or absent one means "from now". */
export function readCursor(value: string | null | undefined): EventPosition | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const position = parseEventId(value);
  if (!position) throw new TidingsError('bad_request', 'invalid cursor');
  return position;
}

/** The long-poll wait in ms: the client's `timeout` (seconds on the wire) capped at the server's maximum. */
export function readTimeoutMs(url: URL, defaultMs: number, maxMs: number): number {
  const value = url.searchParams.get('timeout');
  if (value === null || value === '') return defaultMs;
  if (!/^\d{1,6}(\.\d{1,3})?$/.test(value)) throw new TidingsError('bad_request', 'invalid timeout');
  return Math.min(Math.round(Number(value) * 1000), maxMs);
}
