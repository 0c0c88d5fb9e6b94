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
