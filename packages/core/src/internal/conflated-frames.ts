import type { EventRecord } from '../event-record.ts';
import { toEventMessage } from '../protocol/codec.ts';
import { sseEventFrame } from '../protocol/sse.ts';

// The wire forms of an event sent conflated, memoized on the record like its plain ones, so every
// connection that gets it conflated shares one string. Made only when conflation happens.
const ENVELOPE = Symbol('tidings.conflated.envelope');
const WS_TEXT = Symbol('tidings.conflated.ws');
const SSE_TEXT = Symbol('tidings.conflated.sse');

function memo(record: EventRecord, key: symbol, build: () => string): string {
  let text = record.frames.get(key) as string | undefined;
  if (text === undefined) {
    text = build();
    record.frames.set(key, text);
  }
  return text;
}

/** The envelope with `"conflated":true` last: the same object otherwise, on every transport. */
export function conflatedEnvelope(record: EventRecord): string {
  return memo(record, ENVELOPE, () => `${record.envelope.slice(0, -1)},"conflated":true}`);
}

/** The WebSocket `event` message of a conflated event. */
export function conflatedWsText(record: EventRecord): string {
  return memo(record, WS_TEXT, () => toEventMessage(conflatedEnvelope(record)));
}

/** The SSE frame of a conflated event (the same `id:` and `event:` lines). */
export function conflatedSseText(record: EventRecord): string {
  return memo(record, SSE_TEXT, () => sseEventFrame(record.id, record.event, conflatedEnvelope(record)));
}
