import type { FaultProxyStats } from './fault-proxy-stats.ts';
import { HttpFramer, type Piece, responseFraming } from './http-framer.ts';
import type { WireItem } from './wire.ts';

/** A response still owed to the client, in request order: the server's, or one the proxy makes. */
type Slot =
  | { kind: 'server'; method: string; tunnel: boolean }
  | { kind: 'proxy'; bytes: Buffer; ready: boolean; close: boolean; timer?: ReturnType<typeof setTimeout> };

/** What the queue tells its link. */
export interface AnswerQueueEvents {
  /** The server switched protocols (or the responses stopped making sense): relay raw bytes both ways now. */
  raw(): void;
  /** The server answered an upgrade request without switching: the client's next bytes are HTTP again. */
  upgradeRefused(): void;
  /** The proxy answered with `Connection: close` and sent the FIN: no request may reach the server anymore. */
  closed(): void;
}

/**
 * The server → client half of a connection: one FIFO of the answers owed, in request order.
 *
 * Why answering a request itself never interleaves with the server's answers: every request,
 * forwarded or not, takes a slot. The server's bytes are parsed into responses and only pass while
 * the first slot is the server's; the proxy's answer leaves only when it reaches the front, after
 * every earlier response ended, and the server's later responses wait behind it. So a pipelined or
 * kept-alive connection stays usable after the proxy answered on it.
 *
 * `buffer()` lives here too, because it needs the same response boundaries: body bytes are held
 * until the threshold or the end of their response, heads pass at once, tunnels are never held.
 */
export class AnswerQueue {
  readonly #stats: () => FaultProxyStats;
  readonly #bufferBytes: () => number;
  readonly #out: (item: WireItem) => void;
  readonly #events: AnswerQueueEvents;
  readonly #framer: HttpFramer;
  #slots: Slot[] = [];
  #pending: Buffer[] = [];
  #raw = false;
  #interim = false;
  #held: Buffer[] = [];
  #heldBytes = 0;
  #pumping = false;
  #serverEnded = false;
  #endSent = false;
  #closeWhenDone = false;
  #stopped = false;

  constructor(
    stats: () => FaultProxyStats,
    bufferBytes: () => number,
    out: (item: WireItem) => void,
    events: AnswerQueueEvents,
  ) {
    this.#stats = stats;
    this.#bufferBytes = bufferBytes;
    this.#out = out;
    this.#events = events;
    this.#framer = new HttpFramer('response', (head) => {
      const slot = this.#slots[0];
      // Bytes nobody asked for (a 408 on an idle connection) are framed as a GET's answer.
      return responseFraming(head, slot?.kind === 'server' ? slot.method : 'GET');
    });
  }

  /** A request went to the server: its answer is next in line after those already owed. */
  expectServer(method: string, tunnel: boolean): void {
    this.#slots.push({ kind: 'server', method, tunnel });
  }

  /** The proxy answers a request itself with `bytes`, after `delayMs`, then closes if `close`. */
  answer(bytes: Buffer, delayMs: number, close: boolean): void {
    const slot: Slot = { kind: 'proxy', bytes, ready: delayMs === 0, close };
    if (delayMs > 0) {
      slot.timer = setTimeout(() => {
        slot.ready = true;
        this.#pump();
      }, delayMs);
    }
    this.#slots.push(slot);
    this.#pump();
  }

  /** Bytes from the server. */
  fromServer(chunk: Buffer): void {
    this.#pending.push(chunk);
    this.#pump();
  }

  /** The server sent its FIN. */
  serverEnded(): void {
    this.#serverEnded = true;
    this.#pump();
  }

  /** Closes the connection once every answer owed has gone out (the client's bytes stopped making sense). */
  closeWhenDone(): void {
    this.#closeWhenDone = true;
    this.#pump();
  }

  /** Releases what `buffer()` holds (the fault was lifted). */
  flushBuffer(): void {
    this.#flushHeld();
  }

  /** Drops everything owed and held, for good (a blackhole, or the link is gone). */
  stop(): void {
    this.#stopped = true;
    for (const slot of this.#slots) if (slot.kind === 'proxy') clearTimeout(slot.timer);
    this.#slots = [];
    this.#pending = [];
    this.#held = [];
    this.#heldBytes = 0;
  }

  #pump(): void {
    if (this.#pumping || this.#stopped) return;
    this.#pumping = true;
    try {
      for (;;) {
        const slot = this.#slots[0];
        if (!this.#raw && slot?.kind === 'proxy') {
          if (!slot.ready) return;
          this.#slots.shift();
          this.#out(slot.bytes);
          if (!slot.close) continue;
          this.#close();
          return;
        }
        if (!slot && this.#closeWhenDone) {
          this.#close();
          return;
        }
        const buf = this.#pending.shift();
        if (!buf) {
          if (this.#serverEnded && !this.#endSent) {
            // The server closed: a body delimited by the close is complete, and no answer can follow.
            this.#flushHeld();
            this.#endSent = true;
            this.#out('end');
          }
          return;
        }
        if (this.#raw) {
          this.#out(buf);
          continue;
        }
        const { pieces, rest } = this.#framer.next(buf);
        if (rest.length > 0) this.#pending.unshift(rest);
        for (const piece of pieces) this.#onPiece(piece);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #close(): void {
    if (this.#endSent) return;
    this.#endSent = true;
    this.#out('end');
    this.#events.closed();
  }

  #onPiece(piece: Piece): void {
    switch (piece.kind) {
      case 'head': {
        const { status } = piece.head;
        this.#interim = status < 200 && status !== 101;
        if (status === 101) this.#stats().upgrades.accepted++;
        this.#out(piece.head.bytes);
        return;
      }
      case 'body':
        this.#sendBody(piece.bytes);
        return;
      case 'raw':
        // A response the proxy cannot frame: from here on the connection is a plain relay both ways.
        this.#flushHeld();
        this.#toRaw();
        this.#out(piece.bytes);
        return;
      case 'end': {
        this.#flushHeld();
        if (this.#interim) return;
        const slot = this.#slots[0]?.kind === 'server' ? this.#slots.shift() : undefined;
        // 101 Switching Protocols (or a CONNECT tunnel): bytes only, both ways, from now on.
        if (this.#framer.raw) this.#toRaw();
        else if (slot?.kind === 'server' && slot.tunnel) this.#events.upgradeRefused();
      }
    }
  }

  #toRaw(): void {
    this.#raw = true;
    for (const slot of this.#slots) if (slot.kind === 'proxy') clearTimeout(slot.timer);
    this.#slots = [];
    this.#events.raw();
  }

  #sendBody(bytes: Buffer): void {
    const limit = this.#bufferBytes();
    if (limit === 0 && this.#held.length === 0) {
      this.#out(bytes);
      return;
    }
    this.#held.push(bytes);
    this.#heldBytes += bytes.length;
    this.#stats().faults.bufferedBytes += bytes.length;
    if (this.#heldBytes >= limit) this.#flushHeld();
  }

  #flushHeld(): void {
    if (this.#held.length === 0) return;
    this.#stats().faults.bufferFlushes++;
    // One write, as a buffering proxy sends its full buffer.
    const held = Buffer.concat(this.#held);
    this.#held = [];
    this.#heldBytes = 0;
    this.#out(held);
  }
}
