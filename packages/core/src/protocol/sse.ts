import { DEFAULT_EVENT } from './messages.ts';

// WHATWG HTML "Server-sent events": a field value ends at CR, LF or CRLF, so nothing we put on a
// line may contain either. Envelopes are JSON (which escapes both); ids and event names are
// validated to a safe alphabet before they get here.
const LINE_BREAK = /[\r\n]/;

function assertLine(value: string, what: string): void {
  if (LINE_BREAK.test(value)) throw new TypeError(`${what} must not contain a line break`);
}

/** Frames one event: `id`, `event` (left out for "message") and the envelope as one `data:` line. */
export function sseEventFrame(id: string, event: string, envelopeJson: string): string {
  assertLine(id, 'SSE id');
  assertLine(event, 'SSE event name');
  assertLine(envelopeJson, 'SSE data');
  const name = event === DEFAULT_EVENT ? '' : `event: ${event}\n`;
  return `id: ${id}\n${name}data: ${envelopeJson}\n\n`;
}

/** Frames a control event (reset, close) with an optional id. */
export function sseControlFrame(event: string, dataJson: string, id?: string): string {
  assertLine(dataJson, 'SSE data');
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${dataJson}\n\n`;
}

/**
 * A `close` event that also sets the reconnection delay (`retry:`) to its `retryMs`: a browser's own
 * `EventSource`, which reads no `close` event, then comes back after this client's delay, not the
 * stream's opening one. Used where each client gets its own delay (a closing hub, the admission
 * throttle), so reconnects spread out.
 */
export function sseCloseFrame(code: string, retryMs: number): string {
  const ms = Math.trunc(retryMs);
  return `retry: ${ms}\n${sseControlFrame('close', JSON.stringify({ code, retryMs: ms }))}`;
}

/** A comment line (ignored by clients), used to open the stream and as the heartbeat. */
export function sseComment(text: string): string {
  assertLine(text, 'SSE comment');
  return `: ${text}\n\n`;
}

/**
 * The opening bytes: the reconnection delay for EventSource, and a comment so proxies see the stream
 * start. The comment names the heartbeat interval and the head the stream starts from
 * (`: open heartbeat=15000 cursor=k3x9q2m7-42`): a client that hears nothing for two intervals knows
 * the stream is dead, and one that came without a cursor has one to resume from before its first
 * event. It is a comment so that EventSource and older clients, which ignore comments, read the
 * stream as before.
 *
 * `id`, for a stream that started without a cursor: an `id:` line in the same block, which
 * dispatches nothing but sets a browser `EventSource`'s last event id (WHATWG: the id is taken
 * even when the block has no data), so one that reconnects before its first event (the server
 * restarted, a deploy) resumes from where its stream started instead of from "now", missing nothing.
 */
export function sseOpening(retryMs: number, heartbeatMs?: number, cursor?: string, id?: string): string {
  const heartbeat = heartbeatMs === undefined ? '' : ` heartbeat=${Math.trunc(heartbeatMs)}`;
  if (cursor !== undefined) assertLine(cursor, 'SSE cursor');
  if (id !== undefined) assertLine(id, 'SSE id');
  const idLine = id === undefined ? '' : `id: ${id}\n`;
  return `retry: ${Math.trunc(retryMs)}\n: open${heartbeat}${cursor === undefined ? '' : ` cursor=${cursor}`}\n${idLine}\n`;
}
