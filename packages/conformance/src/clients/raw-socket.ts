import { connect, type Socket } from 'node:net';
import { Inbox, WAIT_MS } from './inbox.ts';

/** A plain TCP connection to the target, for bytes no well-behaved client would send. */
export interface RawConnection {
  socket: Socket;
  /** Every byte received so far. */
  received(): Buffer;
  /** Text received so far (latin1, so any byte survives). */
  text(): string;
  /** One item per chunk; ends when the server closes its side. */
  chunks: Inbox<Buffer>;
  write(data: string | Uint8Array): void;
  close(): void;
}

/** Opens a TCP connection to the host and port of `url`. */
export function openRaw(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) });
  const chunks = new Inbox<Buffer>();
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('end', () => chunks.end());
  socket.on('close', () => chunks.end());
  socket.on('error', () => chunks.end());
  const received = () => Buffer.concat(chunks.items);
  return new Promise((resolve, reject) => {
    socket.once('connect', () =>
      resolve({
        socket,
        chunks,
        received,
        text: () => received().toString('latin1'),
        write: (data) => {
          if (!socket.destroyed) socket.write(data);
        },
        close: () => socket.destroy(),
      }),
    );
    socket.once('error', reject);
  });
}

/** A parsed HTTP/1.1 response head (and whatever body bytes came with it). */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses the first HTTP response in `text`, or returns undefined while its head is incomplete. */
export function parseRawResponse(text: string): RawResponse | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (!match) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(match[1]), headers, body: text.slice(end + 4) };
}

/**
 * The complete responses at the start of `text`, in order (a connection kept alive answers one
 * request after another). A body is delimited by Content-Length or by chunked encoding's last
 * chunk; a head with neither (204, 304) has no body, nor has the answer to a HEAD request. Bodies
 * here are JSON, which never holds the chunked terminator.
 */
export function completeResponses(text: string, headRequests = 0): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  for (;;) {
    const response = parseRawResponse(rest);
    if (!response) return responses;
    // The first `headRequests` answers are to HEAD requests: their heads describe a body never sent.
    const headRequest = responses.length < headRequests;
    const headLength = rest.indexOf('\r\n\r\n') + 4;
    let bodyLength = 0;
    if (!headRequest && response.headers['content-length'] !== undefined) {
      bodyLength = Number(response.headers['content-length']);
      if (rest.length < headLength + bodyLength) return responses;
    } else if (!headRequest && response.headers['transfer-encoding']?.includes('chunked')) {
      const end = rest.indexOf('\r\n0\r\n\r\n', headLength - 2);
      if (end === -1) return responses;
      bodyLength = end + 7 - headLength;
    }
    responses.push({ ...response, body: rest.slice(headLength, headLength + bodyLength) });
    rest = rest.slice(headLength + bodyLength);
  }
}

/**
 * Sends raw bytes and waits for the response head. Resolves to undefined when the server closes
 * the connection without answering (a valid reaction to some malformed input).
 */
export async function rawExchange(
  url: string,
  bytes: string | Uint8Array,
  options: { endAfterWrite?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse | undefined> {
  const raw = await openRaw(url);
  try {
    raw.write(bytes);
    if (options.endAfterWrite) raw.socket.end();
    await raw.chunks.until(
      () => parseRawResponse(raw.text()) !== undefined,
      'an HTTP response',
      options.timeoutMs ?? WAIT_MS,
    );
    return parseRawResponse(raw.text());
  } catch (error) {
    if (raw.chunks.ended) return parseRawResponse(raw.text());
    throw error;
  } finally {
    raw.close();
  }
}

/** The `host:port` of a URL, for a Host header. */
export function hostOf(url: string): string {
  return new URL(url).host;
}

/** The path and query of a URL, for a request line. */
export function targetOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}
