import { randomBytes } from 'node:crypto';
import { Inbox, WAIT_MS } from './inbox.ts';
import {
  hostOf,
  openRaw,
  parseRawResponse,
  type RawConnection,
  type RawResponse,
  targetOf,
} from './raw-socket.ts';

/** RFC 6455 opcodes. */
export const OPCODES = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** Encodes one client frame (masked, as RFC 6455 section 5.3 requires of clients unless `mask: false`). */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array | string,
  options: { fin?: boolean; mask?: boolean } = {},
): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  const mask = options.mask ?? true;
  const length = data.length;
  const head: number[] = [((options.fin ?? true) ? 0x80 : 0) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (length < 126) head.push(maskBit | length);
  else if (length < 65_536) head.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    head.push(maskBit | 127, 0, 0, 0, 0);
    head.push((length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = randomBytes(4);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = data[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from(head), key, masked]);
}

/** A close frame's payload: a 2-byte code and a reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const buffer = Buffer.alloc(2 + Buffer.byteLength(reason));
  buffer.writeUInt16BE(code, 0);
  buffer.write(reason, 2);
  return buffer;
}

/** One frame from the server. */
export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** Parses as many complete server frames as `buffer` holds; returns them and the bytes used. */
export function parseFrames(buffer: Buffer): { frames: ServerFrame[]; used: number } {
  const frames: ServerFrame[] = [];
  let offset = 0;
  while (buffer.length - offset >= 2) {
    const opcode = buffer[offset]! & 0x0f;
    const masked = (buffer[offset + 1]! & 0x80) !== 0;
    let length = buffer[offset + 1]! & 0x7f;
    let cursor = offset + 2;
    if (length === 126) {
      if (buffer.length < cursor + 2) break;
      length = buffer.readUInt16BE(cursor);
      cursor += 2;
    } else if (length === 127) {
      if (buffer.length < cursor + 8) break;
      length = Number(buffer.readBigUInt64BE(cursor));
      cursor += 8;
    }
    const key = masked ? buffer.subarray(cursor, cursor + 4) : undefined;
    if (masked) cursor += 4;
    if (buffer.length < cursor + length) break;
    const payload = Buffer.from(buffer.subarray(cursor, cursor + length));
    if (key) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ key[i & 3]!;
    frames.push({ opcode, payload });
    offset = cursor + length;
  }
  return { frames, used: offset };
}

/** A WebSocket driven byte by byte over TCP. */
export interface RawWebSocket {
  raw: RawConnection;
  handshake: RawResponse;
  /** Frames received after the handshake. */
  frames: Inbox<ServerFrame>;
  send(opcode: number, payload: Uint8Array | string, options?: { fin?: boolean; mask?: boolean }): void;
  /** Text frames received, parsed as JSON. */
  messages(): { type: string; [key: string]: unknown }[];
  /** Waits for the server's close frame (or the connection's end) and returns its code, if any. */
  waitForClose(timeoutMs?: number): Promise<number | undefined>;
  close(): void;
}

/** The handshake request for `url`, with headers overridden (a header set to '' is left out). */
export function handshakeRequest(url: string, headers: Record<string, string> = {}): string {
  const all: Record<string, string> = {
    host: hostOf(url),
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': randomBytes(16).toString('base64'),
    'sec-websocket-version': '13',
    ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  };
  let text = `GET ${targetOf(url.replace(/^ws/, 'http'))} HTTP/1.1\r\n`;
  for (const [key, value] of Object.entries(all)) if (value !== '') text += `${key}: ${value}\r\n`;
  return `${text}\r\n`;
}

/**
 * Performs a WebSocket handshake over TCP. Resolves with the handshake response whatever its
 * status; frames are parsed only after a 101.
 */
export async function openRawWebSocket(
  url: string,
  headers: Record<string, string> = {},
): Promise<RawWebSocket> {
  const raw = await openRaw(url.replace(/^ws/, 'http'));
  raw.write(handshakeRequest(url, headers));
  await raw.chunks
    .until(() => parseRawResponse(raw.text()) !== undefined, 'a handshake response', WAIT_MS)
    .catch((error: unknown) => {
      if (!raw.chunks.ended) throw error;
    });
  const text = raw.text();
  const handshake = parseRawResponse(text) ?? { status: 0, headers: {}, body: '' };
  const frames = new Inbox<ServerFrame>();
  let pending = Buffer.alloc(0);
  const feed = (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    const { frames: parsed, used } = parseFrames(pending);
    pending = pending.subarray(used);
    for (const frame of parsed) frames.push(frame);
  };
  if (handshake.status === 101) {
    const headEnd = raw.received().indexOf('\r\n\r\n') + 4;
    feed(raw.received().subarray(headEnd));
    raw.socket.on('data', feed);
    raw.socket.on('close', () => frames.end());
    if (raw.chunks.ended) frames.end();
  } else {
    frames.end();
  }
  return {
    raw,
    handshake,
    frames,
    send: (opcode, payload, options) => raw.write(encodeFrame(opcode, payload, options)),
    messages: () =>
      frames.items
        .filter((f) => f.opcode === OPCODES.text)
        .map((f) => JSON.parse(f.payload.toString('utf8'))),
    async waitForClose(timeoutMs) {
      await frames
        .until((items) => items.some((f) => f.opcode === OPCODES.close), 'a close frame', timeoutMs)
        .catch(() => undefined);
      const close = frames.items.find((f) => f.opcode === OPCODES.close);
      return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
    },
    close: () => raw.close(),
  };
}
