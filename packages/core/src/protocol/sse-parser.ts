/** One dispatched SSE event (WHATWG "dispatch the event"). */
export interface SseMessage {
  /** The last event id seen on the stream, as the spec's "last event ID buffer". */
  id: string;
  event: string;
  data: string;
}

/** Callbacks of an SSE parser. */
export interface SseParserHandlers {
  onEvent(message: SseMessage): void;
  /** Called with each comment line's text (without the leading colon). */
  onComment?(text: string): void;
  /** Called with a valid `retry:` value, in milliseconds. */
  onRetry?(ms: number): void;
}

/** An incremental SSE parser: feed it text chunks split anywhere. */
export interface SseParser {
  push(chunk: string): void;
  /** Resets the parse state (for a new stream) while keeping the last event id. */
  reset(): void;
}

/**
 * Creates a parser that follows the WHATWG event-stream interpretation: CR, LF and CRLF line ends
 * (a CRLF split across chunks counts once), a leading BOM, comments, `retry:` and the id rules
 * (an id containing NUL is ignored).
 */
export function createSseParser(handlers: SseParserHandlers): SseParser {
  let buffer = '';
  let first = true;
  let pendingCr = false;
  let lastId = '';
  let data = '';
  let hasData = false;
  let event = '';

  function field(line: string): void {
    if (line === '') {
      if (hasData) handlers.onEvent({ id: lastId, event: event || 'message', data });
      data = '';
      hasData = false;
      event = '';
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) {
      handlers.onComment?.(line.slice(1).replace(/^ /, ''));
      return;
    }
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') {
      data = hasData ? `${data}\n${value}` : value;
      hasData = true;
    } else if (name === 'event') event = value;
    else if (name === 'id') {
      if (!value.includes('\0')) lastId = value;
    } else if (name === 'retry' && /^\d+$/.test(value)) handlers.onRetry?.(Number(value));
  }

  return {
    push(chunk: string): void {
      // An empty chunk (a streaming TextDecoder returns one for a lone partial UTF-8 sequence) must
      // not clear `pendingCr`: the LF of a CRLF split around it would otherwise end a second line.
      if (chunk === '') return;
      let text = chunk;
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      if (pendingCr && text.startsWith('\n')) text = text.slice(1);
      pendingCr = false;
      buffer += text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        field(buffer.slice(start, i));
        if (c === 13) {
          if (i + 1 === buffer.length) pendingCr = true;
          else if (buffer.charCodeAt(i + 1) === 10) i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
    reset(): void {
      buffer = '';
      first = true;
      pendingCr = false;
      data = '';
      hasData = false;
      event = '';
    },
  };
}
