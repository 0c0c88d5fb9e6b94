import { connect, type Socket } from 'node:net';
import { until } from './until.ts';

/** A parsed response read off a raw socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A plain TCP client, for what fetch hides: which requests share a connection, the exact bytes,
 * a FIN or an RST. It records everything it receives and how the socket ended.
 */
export interface RawClient {
  readonly socket: Socket;
  /** Everything received so far, as latin1 text. */
  readonly received: string;
  /** The error code the socket failed with (`ECONNRESET`), if any. */
  readonly errorCode: string | undefined;
  /** True once the peer sent a FIN. */
  readonly ended: boolean;
  /** True once the socket closed. */
  readonly closed: boolean;
  send(text: string): void;
  /** Reads the next complete response (Content-Length or no body; an event stream returns at its head). */
  response(): Promise<RawResponse>;
  close(): void;
}

export async function openRaw(port: number): Promise<RawClient> {
  const socket = connect({ port, host: '127.0.0.1' });
  let received = '';
  let consumed = 0;
  let errorCode: string | undefined;
  let ended = false;
  let closed = false;
  socket.setEncoding('latin1');
  socket.on('data', (text: string) => {
    received += text;
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    errorCode = error.code;
  });
  socket.on('end', () => {
    ended = true;
  });
  socket.on('close', () => {
    closed = true;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });

  /** Parses the response at `consumed`, or returns undefined while it is incomplete. */
  function parse(): RawResponse | undefined {
    const text = received.slice(consumed);
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [start = '', ...lines] = text.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(start.split(' ')[1]);
    if (headers['transfer-encoding']) throw new Error('the test reader does not read chunked bodies');
    const streaming = headers['content-type']?.startsWith('text/event-stream');
    const length = streaming ? 0 : Number(headers['content-length'] ?? 0);
    if (text.length < end + 4 + length) return undefined;
    consumed += end + 4 + length;
    return { status, headers, body: text.slice(end + 4, end + 4 + length) };
  }

  return {
    socket,
    get received() {
      return received;
    },
    get errorCode() {
      return errorCode;
    },
    get ended() {
      return ended;
    },
    get closed() {
      return closed;
    },
    send: (text) => void socket.write(text, 'latin1'),
    async response() {
      let answer: RawResponse | undefined;
      await until(() => {
        answer = parse();
        return answer !== undefined || closed;
      }, 'a response on the raw socket');
      if (!answer)
        throw new Error(`the connection closed before a full response: ${received.slice(consumed)}`);
      return answer;
    },
    close: () => void socket.destroy(),
  };
}

/** A GET request head for a raw socket. */
export function get(path: string, headers: Record<string, string> = {}): string {
  const lines = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** A POST with a JSON body for a raw socket, with Content-Length or chunked. */
export function post(path: string, body: unknown, framing: 'length' | 'chunked' = 'length'): string {
  const json = JSON.stringify(body);
  const head = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json'];
  if (framing === 'length')
    return `${[...head, `Content-Length: ${Buffer.byteLength(json)}`].join('\r\n')}\r\n\r\n${json}`;
  // Two chunks and a trailer field, so a framer that only half reads chunked bodies gets it wrong.
  const half = Math.floor(json.length / 2);
  const chunks = [json.slice(0, half), json.slice(half)]
    .map((part) => `${Buffer.byteLength(part).toString(16)};note=x\r\n${part}\r\n`)
    .join('');
  return `${[...head, 'Transfer-Encoding: chunked'].join('\r\n')}\r\n\r\n${chunks}0\r\nX-Trailer: 1\r\n\r\n`;
}
