/** One dispatched Server-Sent Event. `data` may be a view into the parser's input: use it at once. */
export interface SseEvent {
  data: Buffer;
  /** The `event:` field, or undefined for the default `message`. */
  event: string | undefined;
  /** The `id:` field when the event set one. */
  id: string | undefined;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const EMPTY = Buffer.alloc(0);

function fieldIs(line: Buffer, end: number, name: string): boolean {
  if (end !== name.length) return false;
  for (let i = 0; i < end; i++) if (line[i] !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * An incremental parser of the `text/event-stream` format (WHATWG HTML §9.2.6) over raw bytes, fed
 * whatever chunks the socket delivers. Lines end in LF or CRLF (a lone CR, which no server here
 * sends, is not treated as a line end); comments are skipped; `data` lines are joined with LF; an
 * empty line dispatches. Written for the load generator, independent of tidings' own parser, so a
 * bug in one cannot hide in the other.
 */
export class SseParser {
  readonly #onEvent: (event: SseEvent) => void;
  #rest: Buffer = EMPTY;
  #data: Buffer[] = [];
  #event: string | undefined;
  #id: string | undefined;

  constructor(onEvent: (event: SseEvent) => void) {
    this.#onEvent = onEvent;
  }

  push(chunk: Buffer): void {
    const bytes = this.#rest.length > 0 ? Buffer.concat([this.#rest, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const lf = bytes.indexOf(LF, start);
      if (lf < 0) break;
      const end = lf > start && bytes[lf - 1] === CR ? lf - 1 : lf;
      this.#line(bytes.subarray(start, end));
      start = lf + 1;
    }
    // Copy the tail: the chunk's memory may be reused by the socket.
    this.#rest = start < bytes.length ? Buffer.from(bytes.subarray(start)) : EMPTY;
  }

  #line(line: Buffer): void {
    if (line.length === 0) {
      this.#dispatch();
      return;
    }
    if (line[0] === COLON) return;
    let colon = line.indexOf(COLON);
    if (colon < 0) colon = line.length;
    let valueStart = colon + 1;
    if (line[valueStart] === SPACE) valueStart++;
    const value = valueStart <= line.length ? line.subarray(valueStart) : EMPTY;
    if (fieldIs(line, colon, 'data')) this.#data.push(value);
    else if (fieldIs(line, colon, 'event')) this.#event = value.toString('utf8');
    else if (fieldIs(line, colon, 'id')) this.#id = value.toString('utf8');
    // `retry` and unknown fields are ignored by the load generator.
  }

  #dispatch(): void {
    const parts = this.#data;
    if (parts.length > 0) {
      let data: Buffer;
      if (parts.length === 1) data = parts[0]!;
      else {
        const joined: Buffer[] = [];
        for (let i = 0; i < parts.length; i++) {
          if (i > 0) joined.push(Buffer.from([LF]));
          joined.push(parts[i]!);
        }
        data = Buffer.concat(joined);
      }
      this.#onEvent({ data, event: this.#event, id: this.#id });
    }
    this.#data = [];
    this.#event = undefined;
  }
}
