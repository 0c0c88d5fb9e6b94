/**
 * Finds HTTP/1.1 message boundaries in a byte stream without rewriting a byte: the proxy forwards
 * what it reads, and only needs to know where each request and response starts and ends
 * (RFC 9112 §6: no body, Content-Length, chunked, until close, or a switch to a tunnel).
 */

/** A parsed start line and header section, with the exact bytes they came in. */
export interface MessageHead {
  readonly bytes: Buffer;
  /** Request method (requests only). */
  readonly method: string;
  /** Request target, e.g. `/realtime/sse?topics=a` (requests only). */
  readonly target: string;
  /** Status code (responses only). */
  readonly status: number;
  /** `HTTP/1.1` or `HTTP/1.0`. */
  readonly version: string;
  /** Lower-cased names; repeated fields joined with `, `. */
  readonly headers: ReadonlyMap<string, string>;
}

/** How the body after a head is delimited, as the framer's owner decides from the head. */
export type Framing =
  | { type: 'none' }
  | { type: 'length'; bytes: number }
  | { type: 'chunked' }
  | { type: 'close' }
  | { type: 'tunnel' };

/** What the framer found in the bytes it was given, in order. Body and raw pieces are sub-arrays of the input. */
export type Piece =
  | { kind: 'head'; head: MessageHead }
  | { kind: 'body'; bytes: Buffer }
  | { kind: 'end' }
  | { kind: 'raw'; bytes: Buffer };

type State = 'head' | 'length' | 'size-line' | 'data' | 'data-crlf' | 'trailer' | 'close' | 'raw';

const EMPTY = Buffer.alloc(0);
const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4096;
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP\/1\.[01])$/;
const STATUS_LINE = /^(HTTP\/1\.[01]) ([1-9]\d\d)(?: .*)?$/;

/**
 * A streaming framer for one direction of one connection. `next` stops right after a message ends,
 * so the owner can act between messages (answer one itself, switch to a tunnel) before feeding the
 * rest. Anything it cannot parse turns it into `raw` for good: the proxy then passes bytes through
 * untouched, exactly as a plain TCP relay would.
 */
export class HttpFramer {
  readonly #kind: 'request' | 'response';
  readonly #frame: (head: MessageHead) => Framing | undefined;
  #state: State = 'head';
  #pending: Buffer = EMPTY;
  #line = '';
  #remaining = 0;

  /** `frame` decides the body framing after each head; undefined (a malformed length) makes the rest raw. */
  constructor(kind: 'request' | 'response', frame: (head: MessageHead) => Framing | undefined) {
    this.#kind = kind;
    this.#frame = frame;
  }

  /** True once the stream stopped being HTTP the framer understands (a tunnel, or bytes it could not parse). */
  get raw(): boolean {
    return this.#state === 'raw';
  }

  /** Reads `input` up to its end or the end of one message; `rest` is what it did not read. */
  next(input: Buffer): { pieces: Piece[]; rest: Buffer } {
    const pieces: Piece[] = [];
    let buf = input;
    while (buf.length > 0) {
      switch (this.#state) {
        case 'raw':
          pieces.push({ kind: 'raw', bytes: buf });
          return { pieces, rest: EMPTY };
        case 'close':
          pieces.push({ kind: 'body', bytes: buf });
          return { pieces, rest: EMPTY };
        case 'head': {
          const read = this.#readHead(buf, pieces);
          if (read.ended) return { pieces, rest: read.rest };
          buf = read.rest;
          break;
        }
        case 'length':
        case 'data': {
          const take = Math.min(this.#remaining, buf.length);
          pieces.push({ kind: 'body', bytes: buf.subarray(0, take) });
          buf = buf.subarray(take);
          this.#remaining -= take;
          if (this.#remaining > 0) break;
          if (this.#state === 'data') {
            this.#state = 'data-crlf';
            break;
          }
          return this.#end(pieces, buf);
        }
        default: {
          // A line of the chunked framing: a chunk size, the CRLF after a chunk, or a trailer field.
          const newline = buf.indexOf(10);
          const take = newline < 0 ? buf.length : newline + 1;
          pieces.push({ kind: 'body', bytes: buf.subarray(0, take) });
          this.#line += buf.toString('latin1', 0, take);
          buf = buf.subarray(take);
          if (newline < 0) {
            if (this.#line.length > MAX_LINE_BYTES) return this.#fail(pieces, buf);
            break;
          }
          const line = this.#line.replace(/\r?\n$/, '');
          this.#line = '';
          if (this.#state === 'size-line') {
            const size = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line);
            if (!size) return this.#fail(pieces, buf);
            this.#remaining = Number.parseInt(size[1]!, 16);
            this.#state = this.#remaining === 0 ? 'trailer' : 'data';
          } else if (this.#state === 'data-crlf') {
            if (line !== '') return this.#fail(pieces, buf);
            this.#state = 'size-line';
          } else if (line === '') {
            return this.#end(pieces, buf);
          }
        }
      }
    }
    return { pieces, rest: EMPTY };
  }

  #readHead(input: Buffer, pieces: Piece[]): { ended: boolean; rest: Buffer } {
    let buf = input;
    // Empty lines before a request line are allowed and ignored (RFC 9112 §2.2).
    if (this.#pending.length === 0) {
      let skip = 0;
      while (skip < buf.length && (buf[skip] === 13 || buf[skip] === 10)) skip++;
      buf = buf.subarray(skip);
      if (buf.length === 0) return { ended: false, rest: EMPTY };
    }
    const joined = this.#pending.length > 0 ? Buffer.concat([this.#pending, buf]) : buf;
    const at = joined.indexOf(HEAD_END, Math.max(0, this.#pending.length - 3));
    if (at < 0) {
      if (joined.length > MAX_HEAD_BYTES) {
        this.#pending = EMPTY;
        return { ended: true, rest: this.#fail(pieces, joined).rest };
      }
      this.#pending = Buffer.from(joined);
      return { ended: false, rest: EMPTY };
    }
    this.#pending = EMPTY;
    const bytes = joined.subarray(0, at + 4);
    const rest = joined.subarray(at + 4);
    const head = this.#parseHead(bytes);
    if (!head) {
      this.#state = 'raw';
      pieces.push({ kind: 'raw', bytes: joined });
      return { ended: true, rest: EMPTY };
    }
    pieces.push({ kind: 'head', head });
    const framing = this.#frame(head);
    if (!framing) return { ended: true, rest: this.#fail(pieces, rest).rest };
    switch (framing.type) {
      case 'none':
        return { ended: true, rest: this.#end(pieces, rest).rest };
      case 'tunnel':
        pieces.push({ kind: 'end' });
        this.#state = 'raw';
        return { ended: true, rest };
      case 'length':
        if (framing.bytes === 0) return { ended: true, rest: this.#end(pieces, rest).rest };
        this.#state = 'length';
        this.#remaining = framing.bytes;
        break;
      case 'chunked':
        this.#state = 'size-line';
        break;
      case 'close':
        this.#state = 'close';
    }
    return { ended: false, rest };
  }

  #parseHead(bytes: Buffer): MessageHead | undefined {
    const lines = bytes.toString('latin1', 0, bytes.length - 4).split('\r\n');
    const start = lines.shift() ?? '';
    let method = '';
    let target = '';
    let status = 0;
    let version: string;
    if (this.#kind === 'request') {
      const match = REQUEST_LINE.exec(start);
      if (!match) return undefined;
      [, method = '', target = '', version = ''] = match;
    } else {
      const match = STATUS_LINE.exec(start);
      if (!match) return undefined;
      version = match[1]!;
      status = Number(match[2]);
    }
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      // A folded line (obs-fold) or a field without a name is not something we relay with confidence.
      if (colon <= 0 || line[0] === ' ' || line[0] === '\t') return undefined;
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      const before = headers.get(name);
      headers.set(name, before === undefined ? value : `${before}, ${value}`);
    }
    return { bytes, method, target, status, version, headers };
  }

  #end(pieces: Piece[], rest: Buffer): { pieces: Piece[]; rest: Buffer } {
    pieces.push({ kind: 'end' });
    this.#state = 'head';
    return { pieces, rest };
  }

  #fail(pieces: Piece[], rest: Buffer): { pieces: Piece[]; rest: Buffer } {
    this.#state = 'raw';
    if (rest.length > 0) pieces.push({ kind: 'raw', bytes: rest });
    return { pieces, rest: EMPTY };
  }
}

/** The body framing of a request (RFC 9112 §6.3): chunked, a length, or none; undefined when malformed. */
export function requestFraming(head: MessageHead): Framing | undefined {
  const encoding = head.headers.get('transfer-encoding');
  if (encoding !== undefined)
    return /(?:^|,)\s*chunked\s*$/i.test(encoding) ? { type: 'chunked' } : undefined;
  const length = contentLength(head);
  if (length === null) return undefined;
  return length === undefined ? { type: 'none' } : { type: 'length', bytes: length };
}

/** The body framing of a response to a request with `method` (RFC 9112 §6.3); undefined when malformed. */
export function responseFraming(head: MessageHead, method: string): Framing | undefined {
  const { status } = head;
  if (status === 101 || (method === 'CONNECT' && status >= 200 && status < 300)) return { type: 'tunnel' };
  if (status < 200 || status === 204 || status === 304 || method === 'HEAD') return { type: 'none' };
  const encoding = head.headers.get('transfer-encoding');
  if (encoding !== undefined)
    return /(?:^|,)\s*chunked\s*$/i.test(encoding) ? { type: 'chunked' } : { type: 'close' };
  const length = contentLength(head);
  if (length === null) return undefined;
  return length === undefined ? { type: 'close' } : { type: 'length', bytes: length };
}

/** The Content-Length, undefined when absent, null when invalid or contradictory. */
function contentLength(head: MessageHead): number | undefined | null {
  const value = head.headers.get('content-length');
  if (value === undefined) return undefined;
  const values = new Set(value.split(',').map((v) => v.trim()));
  const [only] = values;
  if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) return null;
  return Number(only);
}

/** A request target's path, without its query: `/realtime/sse` for `/realtime/sse?topics=a`. */
export function pathOf(target: string): string {
  let path = target;
  if (!path.startsWith('/')) {
    try {
      path = new URL(path).pathname;
    } catch {
      return '';
    }
  }
  const end = path.search(/[?#]/);
  return end >= 0 ? path.slice(0, end) : path;
}

/**
 * How a request is named in the stats: the route's name for `{hubPath}/<name>` (`sse` for
 * `/realtime/sse`), the whole path for anything else (`/api/x/poll`, `/realtime/`).
 */
export function routeOf(path: string, hubPath: string): string {
  const prefix = `${hubPath}/`;
  if (!path.startsWith(prefix)) return path;
  const name = path.slice(prefix.length);
  return name !== '' && !name.includes('/') ? name : path;
}

/** True when a request asks to switch protocols (a WebSocket handshake) or to open a CONNECT tunnel. */
export function wantsTunnel(head: MessageHead): boolean {
  if (head.method === 'CONNECT') return true;
  const connection = head.headers.get('connection') ?? '';
  return head.headers.has('upgrade') && /(?:^|,)\s*upgrade\s*(?:,|$)/i.test(connection);
}

/** True when the client will close the connection after this request (RFC 9112 §9.3). */
export function wantsClose(head: MessageHead): boolean {
  const connection = head.headers.get('connection') ?? '';
  if (/(?:^|,)\s*close\s*(?:,|$)/i.test(connection)) return true;
  return head.version === 'HTTP/1.0' && !/(?:^|,)\s*keep-alive\s*(?:,|$)/i.test(connection);
}
