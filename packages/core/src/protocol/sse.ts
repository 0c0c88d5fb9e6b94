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

/** A comment line (ignored by clients), used to open the stream and as the heartbeat. */
export function sseComment(text: string): string {
  assertLine(text, 'SSE comment');
  return `: ${text}\n\n`;
}

/** The opening bytes: the reconnection delay for EventSource and a comment so proxies see the stream start. */
export function sseOpening(retryMs: number): string {
  return `retry: ${Math.trunc(retryMs)}\n: open\n\n`;
}
