import { randomBytes } from 'node:crypto';

/** RFC 6455 section 5.2 opcodes, the reserved ones included (a case sends them on purpose). */
export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** One frame a case sends. Everything a well-behaved client would never vary can be varied here. */
export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array | string;
  /** FIN bit. Default true. */
  fin?: boolean;
  /** The three RSV bits as a number 0-7 (RSV1 = 4). Default 0. */
  rsv?: number;
  /** Mask the payload, as RFC 6455 section 5.3 requires of clients. Default true. */
  mask?: boolean;
}

/** The bytes of a string or a byte array. */
export function bytesOf(payload: Uint8Array | string | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
}

/** Encodes one frame with the shortest length encoding (section 5.2). */
export function encodeFrameSpec(spec: FrameSpec): Buffer {
  const data = bytesOf(spec.payload);
  const mask = spec.mask ?? true;
  const length = data.length;
  let head: Buffer;
  if (length < 126) {
    head = Buffer.alloc(2);
    head[1] = length;
  } else if (length < 65_536) {
    head = Buffer.alloc(4);
    head[1] = 126;
    head.writeUInt16BE(length, 2);
  } else {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  head[0] = ((spec.fin ?? true) ? 0x80 : 0) | (((spec.rsv ?? 0) & 7) << 4) | (spec.opcode & 0x0f);
  if (!mask) return Buffer.concat([head, data]);
  head[1]! |= 0x80;
  const key = randomBytes(4);
  const masked = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) masked[i] = data[i]! ^ key[i & 3]!;
  return Buffer.concat([head, key, masked]);
}

/** A close frame's payload: the 2-byte code, then the reason's bytes. */
export function closeBody(code: number, reason: Uint8Array | string = ''): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code, 0);
  return Buffer.concat([head, bytesOf(reason)]);
}

/** One frame from the server, with the header bits a case checks. */
export interface ReceivedFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** Parses as many complete frames as `buffer` holds; returns them and the bytes they used. */
export function parseReceivedFrames(buffer: Buffer): { frames: ReceivedFrame[]; used: number } {
  const frames: ReceivedFrame[] = [];
  let offset = 0;
  while (buffer.length - offset >= 2) {
    const first = buffer[offset]!;
    const second = buffer[offset + 1]!;
    const masked = (second & 0x80) !== 0;
    let length = second & 0x7f;
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
    frames.push({ fin: (first & 0x80) !== 0, rsv: (first >> 4) & 7, opcode: first & 0x0f, masked, payload });
    offset = cursor + length;
  }
  return { frames, used: offset };
}

/** Splits bytes into pieces of `size` (the last may be shorter). */
export function chop(bytes: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
  return pieces;
}

/** Splits a message's bytes into `count` fragments of near-equal size (some may be empty when count > length). */
export function fragmentsOf(bytes: Buffer, count: number): Buffer[] {
  const size = Math.ceil(bytes.length / count);
  return Array.from({ length: count }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
}

/** The frames of one message: the first with `opcode`, the rest continuations, FIN on the last. */
export function messageFrames(opcode: number, parts: readonly (Uint8Array | string)[]): FrameSpec[] {
  return parts.map((payload, i) => ({
    opcode: i === 0 ? opcode : OP.continuation,
    payload,
    fin: i === parts.length - 1,
  }));
}
