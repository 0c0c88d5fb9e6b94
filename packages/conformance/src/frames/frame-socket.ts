import { Inbox, WAIT_MS } from '../clients/inbox.ts';
import { openRaw, parseRawResponse, type RawConnection } from '../clients/raw-socket.ts';
import { handshakeRequest } from '../clients/raw-websocket.ts';
import {
  closeBody,
  encodeFrameSpec,
  type FrameSpec,
  OP,
  parseReceivedFrames,
  type ReceivedFrame,
} from './frame-codec.ts';

/** A whole message or control frame from the server, fragments joined. */
export type ServerItem =
  | { kind: 'text'; text: string }
  | { kind: 'binary'; bytes: Buffer }
  | { kind: 'ping'; payload: Buffer }
  | { kind: 'pong'; payload: Buffer }
  | { kind: 'close'; code: number | undefined; reason: string };

/**
 * How the bytes of a send go on the wire: `'together'` in one write, `'frames'` one write per frame,
 * or a number: writes of that many octets (Autobahn's "chopped" cases), each flushed before the next.
 */
export type WriteMode = 'together' | 'frames' | number;

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A WebSocket driven frame by frame over TCP, the way Autobahn's fuzzing client drives a server. */
export interface FrameSocket {
  raw: RawConnection;
  /** Server items in arrival order; ends when the TCP connection closes. */
  items: Inbox<ServerItem>;
  /** What the server sent that RFC 6455 forbids a server to send (masked frames, RSV bits, bad UTF-8). */
  violations: string[];
  /** Sends frames, written as `mode` says; resolves once every write was handed to the kernel. */
  send(frames: readonly FrameSpec[], mode?: WriteMode): Promise<void>;
  /** Writes raw bytes as they are. */
  write(bytes: Buffer, mode?: WriteMode): Promise<void>;
  /** True once the TCP connection closed. */
  readonly ended: boolean;
  close(): void;
}

function writeFlushed(raw: RawConnection, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (raw.socket.destroyed || !raw.socket.writable) return resolve();
    // An error (the server already closed) is an outcome the case reads from `items`, not a failure here.
    raw.socket.write(bytes, () => resolve());
  });
}

/**
 * Opens a WebSocket over raw TCP. Rejects unless the server answers 101. Server close frames are
 * answered as RFC 6455 section 5.5.1 says (echo the code, then stop sending), so a server that
 * waits for the closing handshake can finish it.
 */
export async function openFrameSocket(url: string, headers: Record<string, string>): Promise<FrameSocket> {
  const raw = await openRaw(url.replace(/^ws/, 'http'));
  raw.socket.setNoDelay(true);
  raw.write(handshakeRequest(url, headers));
  await raw.chunks.until(() => parseRawResponse(raw.text()) !== undefined, 'a handshake response', WAIT_MS);
  const handshake = parseRawResponse(raw.text())!;
  if (handshake.status !== 101) {
    raw.close();
    throw new Error(`handshake answered ${handshake.status}: ${handshake.body.slice(0, 200)}`);
  }
  const items = new Inbox<ServerItem>();
  const violations: string[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let message: { opcode: number; parts: Buffer[] } | undefined;
  let closeSent = false;

  const deliver = (frame: ReceivedFrame) => {
    if (frame.masked) violations.push('a masked server frame');
    if (frame.rsv !== 0) violations.push(`RSV ${frame.rsv} on a server frame`);
    if (frame.opcode >= 8) {
      if (frame.opcode === OP.ping) items.push({ kind: 'ping', payload: frame.payload });
      else if (frame.opcode === OP.pong) items.push({ kind: 'pong', payload: frame.payload });
      else if (frame.opcode === OP.close) {
        const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : undefined;
        items.push({ kind: 'close', code, reason: frame.payload.subarray(2).toString('utf8') });
        if (!closeSent) {
          closeSent = true;
          raw.write(
            encodeFrameSpec({ opcode: OP.close, payload: code === undefined ? '' : closeBody(code) }),
          );
        }
        raw.socket.end();
      } else violations.push(`reserved control opcode ${frame.opcode} from the server`);
      return;
    }
    if (frame.opcode !== OP.continuation) message = { opcode: frame.opcode, parts: [] };
    if (!message) {
      violations.push('a continuation frame from the server with nothing to continue');
      return;
    }
    message.parts.push(frame.payload);
    if (!frame.fin) return;
    const bytes = Buffer.concat(message.parts);
    if (message.opcode === OP.text) {
      try {
        items.push({ kind: 'text', text: fatalUtf8.decode(bytes) });
      } catch {
        violations.push('invalid UTF-8 in a server text message');
      }
    } else items.push({ kind: 'binary', bytes });
    message = undefined;
  };
  const feed = (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const { frames, used } = parseReceivedFrames(pending);
    pending = pending.subarray(used);
    for (const frame of frames) deliver(frame);
  };
  const head = raw.received();
  feed(head.subarray(head.indexOf('\r\n\r\n') + 4));
  raw.socket.on('data', feed);
  raw.socket.on('close', () => items.end());
  if (raw.chunks.ended) items.end();

  const write = async (bytes: Buffer, mode: WriteMode = 'together') => {
    if (mode === 'together' || mode === 'frames') return writeFlushed(raw, bytes);
    for (let i = 0; i < bytes.length; i += mode) await writeFlushed(raw, bytes.subarray(i, i + mode));
  };
  return {
    raw,
    items,
    violations,
    async send(frames, mode = 'together') {
      const encoded = frames.map(encodeFrameSpec);
      if (frames.some((f) => f.opcode === OP.close)) closeSent = true;
      if (mode === 'frames') for (const bytes of encoded) await writeFlushed(raw, bytes);
      else await write(Buffer.concat(encoded), mode);
    },
    write,
    get ended() {
      return items.ended;
    },
    close: () => raw.close(),
  };
}
