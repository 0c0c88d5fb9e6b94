import type { Duplex } from 'node:stream';
import type { EventRecord, SocketPort } from '@tidings/core/adapter';
import * as wsModule from 'ws';
import { WebSocket } from 'ws';
import { corkForTick } from './cork.ts';
import { drainOf } from './drain-of.ts';
import { frameMemo } from './frame-memo.ts';

/** A `ws` socket with the one private field the fast path reads: the TCP socket under it. */
export type Internal = WebSocket & { _socket?: Duplex };
type FrameOptions = { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean };
// `Sender.frame` is exported by ws (not in its typings): the same framing ws uses, done once.
const { Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] };
};

// Each event's WebSocket frame (header + payload) in one buffer: one write per socket.
const frameOf = frameMemo(Symbol('tidings.node.ws-frame'), (record) =>
  Buffer.concat(
    Sender.frame(Buffer.from(record.wsText), {
      fin: true,
      rsv1: false,
      opcode: 1,
      mask: false,
      readOnly: true,
    }),
  ),
);

/**
 * The hub's view of one `ws` socket. A class over the raw TCP socket rather than closures: idle
 * sockets cost one small object, and a delivery writes the shared frame straight to the socket.
 */
export class NodeSocketPort implements SocketPort {
  readonly #ws: Internal;
  readonly #socket: Duplex | undefined;
  readonly #preframed: boolean;

  constructor(ws: Internal, preframed: boolean) {
    this.#ws = ws;
    this.#socket = ws._socket;
    // Pre-framed writes bypass ws's sender, which is safe only while it queues nothing (no compression).
    this.#preframed = preframed && this.#socket !== undefined;
  }

  send(text: string, record?: EventRecord): void {
    const ws = this.#ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    corkForTick(this.#socket as never);
    if (record && this.#preframed) this.#socket!.write(frameOf(record));
    else ws.send(text);
  }

  close(code: number, reason: string): void {
    this.#ws.close(code, reason);
  }

  bufferedAmount(): number {
    return this.#preframed ? this.#socket!.writableLength : this.#ws.bufferedAmount;
  }

  waitForDrain(): Promise<void> {
    // With compression, ws's own queue comes first; the socket's drain still says when bytes moved.
    return drainOf(this.#socket);
  }

  ping(): void {
    this.#ws.ping();
  }

  terminate(): void {
    this.#ws.terminate();
  }
}
