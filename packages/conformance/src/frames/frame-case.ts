import type { FrameSpec } from './frame-codec.ts';
import type { FrameSocket, WriteMode } from './frame-socket.ts';

/**
 * What a case expects, adapted from the Autobahn TestSuite to tidings. tidings is not an echo
 * server: the "echo" of a text message is the protocol's answer to it (`{"type":"pong"}` for a
 * `{"type":"ping"}`, the event for a `publish`, an `error` frame for anything malformed or binary).
 *
 * - `open`: the server sends `replies`, in order, and keeps serving the connection.
 * - `fail`: RFC 6455 requires failing the connection: `replies` first, then a close frame with
 *   `code` (1002 protocol error, 1007 invalid UTF-8). `alternatives` lists other reply sequences
 *   that also pass, some with a note the table shows (Autobahn's "non-strict").
 * - `close`: a closing handshake: `replies` (or an alternative), then one close frame with one of
 *   `codes` (`null`: a close frame without a code).
 * - `limit`: a tidings limit closes the connection with `code` (1009 too big, 1008 a flood).
 * - `any`: the RFC leaves the outcome open; the table records what happens.
 */
export type Expectation =
  | { outcome: 'open'; replies: string[]; alternatives?: Alternative[] }
  | {
      outcome: 'fail';
      code: 1002 | 1007;
      replies: string[];
      alternatives?: Alternative[];
    }
  | {
      outcome: 'close';
      codes: (number | null)[];
      replies: string[];
      alternatives?: Alternative[];
    }
  | { outcome: 'limit'; code: 1008 | 1009; replies: string[] }
  | { outcome: 'any' };

/** What a case's script gets to build its frames. */
export interface CaseKit {
  /** The topic the socket is subscribed to, for publish echoes. */
  topic: string;
  socket: FrameSocket;
  /** Waits (bounded) until the server sent `count` items matching `kind` since the welcome. */
  waitFor(kind: 'pong' | 'text', count: number): Promise<void>;
  /**
   * Waits (bounded) for a close frame or the connection's end, and resolves true; false when
   * neither came, or an item of kind `or` came first.
   */
  reacted(or?: 'pong'): Promise<boolean>;
}

/**
 * Sends frames of which `frames[violation]` breaks RFC 6455. In the chopped modes the offending
 * frame goes out in one write and nothing follows it until the server has had its chance to fail
 * the connection: a server that closes while more bytes are arriving resets the TCP connection,
 * and the reset can swallow its own close frame (workerd's does), which would make the outcome
 * depend on timing. A server that does not react within the bound gets the rest, and the probe
 * then shows what it did.
 */
export async function sendViolation(
  kit: CaseKit,
  frames: readonly FrameSpec[],
  violation: number,
  mode?: WriteMode,
): Promise<void> {
  if (mode === undefined || mode === 'together') return kit.socket.send(frames, mode);
  await kit.socket.send(frames.slice(0, violation), mode);
  await kit.socket.send([frames[violation]!]);
  if (await kit.reacted()) return;
  await kit.socket.send(frames.slice(violation + 1), mode);
}

/** One Autobahn case, adapted. */
export interface FrameCase {
  /** The Autobahn case number, e.g. `5.19`. */
  id: string;
  expect: Expectation;
  /** Sends the case's frames. */
  run(kit: CaseKit): Promise<void>;
  /** The close code the script sends, if any: a server that sends it back "echoes" it. */
  sentCloseCode?: number;
  /**
   * After the script, a probe message checks whether the connection still serves (a publish whose
   * ack ends the observation). Default true; false for cases that closed from the client side.
   */
  probe?: boolean;
}

/** One row of the table: a behaviour and the cases that check it. */
export interface FrameRow {
  /** The Autobahn case or case group, e.g. `6.12` or `2.5`. */
  id: string;
  /** The behaviour, in the table's words. */
  behaviour: string;
  cases: FrameCase[];
}

/** The expected reply to a protocol ping frame with `payload`. */
export function pongReply(payload: Uint8Array | string = ''): string {
  return `pong ${Buffer.from(payload).toString('hex')}`;
}

/** The expected reply to `{"type":"ping"}`. */
export const APP_PONG = 'app pong';

/** The expected `error` frame with `code`. */
export function errorReply(code = 'bad_request'): string {
  return `error ${code}`;
}

/** The expected event echoing a publish of `data`. */
export function eventReply(data: unknown): string {
  return `event ${JSON.stringify(data)}`;
}

/** Another reply sequence that also passes; `note` (shown in the table) when it says something about the runtime. */
export interface Alternative {
  /** The replies, or a test of them. */
  replies: string[] | ((replies: readonly string[]) => boolean);
  note?: string;
}

/**
 * A valid message followed by a frame that ends the connection: the hub answers messages
 * asynchronously (in order, one after the other), so the runtime may close before the answer
 * goes out. Whether it does depends on how the bytes arrive, so it passes without a note (a note
 * would make the table depend on timing).
 */
export const ANSWER_OVERTAKEN: Alternative = { replies: [] };

/** `count` copies of a reply. */
export function times(count: number, reply: string): string[] {
  return Array.from({ length: count }, () => reply);
}

const PING_TEXT = '{"type":"ping"}';

/**
 * A `{"type":"ping"}` message of exactly `bytes` octets (JSON whitespace pads it), or `''` for 0.
 * Any length from 15 up is possible, so Autobahn's exact sizes (125, 126, 65535...) carry over.
 */
export function pingText(bytes = PING_TEXT.length): string {
  if (bytes === 0) return '';
  if (bytes < PING_TEXT.length) throw new RangeError(`a ping message has at least ${PING_TEXT.length} bytes`);
  return PING_TEXT + ' '.repeat(bytes - PING_TEXT.length);
}

/** A publish to `topic` whose `data` string holds `raw` bytes as they are (not escaped). */
export function publishBytes(topic: string, raw: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from(`{"type":"publish","topic":"${topic}","data":"`),
    raw,
    Buffer.from('"}'),
  ]);
}
