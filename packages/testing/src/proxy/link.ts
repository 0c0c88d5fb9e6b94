import { connect, type Socket } from 'node:net';
import { AnswerQueue } from './answer-queue.ts';
import type { FaultProxyStats } from './fault-proxy-stats.ts';
import {
  type Framing,
  HttpFramer,
  type MessageHead,
  type Piece,
  pathOf,
  requestFraming,
  routeOf,
  wantsClose,
  wantsTunnel,
} from './http-framer.ts';
import { refusedUpgradeAnswer, type StatusFault, statusAnswer } from './local-answer.ts';
import { Wire, type WireConditions, type WireItem } from './wire.ts';

/** The faults in force, shared by the proxy and all its links; read at the moment each one applies. */
export interface FaultState extends WireConditions {
  latencyMs: number;
  paused: boolean;
  blackhole: boolean;
  /** Bytes to hold per response body before releasing them; 0 when off, Infinity until the response ends. */
  bufferBytes: number;
  refuseUpgrades: number | undefined;
  /** `status()` rules by the exact path they answer: `/realtime/sse`. */
  status: Map<string, { kind: StatusFault; delayMs: number }>;
}

/** What a link needs from its proxy. */
export interface LinkContext {
  readonly faults: FaultState;
  readonly stats: FaultProxyStats;
  readonly target: { host: string; port: number };
  /** The hub's path on the server (`/realtime`), which route names are under. */
  readonly hubPath: string;
  /** Called once when both sockets are gone. */
  done(link: Link): void;
}

/**
 * One client connection and its own connection to the server, opened at once as a TCP balancer
 * would, so the server sees one connection per client connection and keep-alive stays real.
 *
 * Client → server: wire (latency, pause) → request framer → server. Each request is decided when
 * its head is read: forwarded, or answered by the proxy (`status`, `refuseUpgrades`) with its body
 * dropped. Server → client: the answer queue (request order, `buffer`) → wire → client.
 */
export class Link {
  readonly #ctx: LinkContext;
  readonly #client: Socket;
  #upstream: Socket | undefined;
  readonly #up: Wire;
  readonly #down: Wire;
  readonly #requests: HttpFramer;
  readonly #answers: AnswerQueue;
  /** `await-tunnel`: an upgrade request went to the server; what follows is HTTP or a tunnel depending on its answer. */
  #upMode: 'http' | 'await-tunnel' | 'raw' | 'closed' = 'http';
  #upHeld: WireItem[] = [];
  #requestFraming: Framing | undefined;
  #forwarding = true;
  #lastForwardedTunnel = false;
  #clientEnded = false;
  #upstreamEnded = false;
  #dead = false;
  #finished = false;

  constructor(ctx: LinkContext, client: Socket) {
    this.#ctx = ctx;
    this.#client = client;
    const delayed = () => ctx.stats.faults.delayedChunks++;
    this.#up = new Wire(ctx.faults, (item) => this.#fromWireUp(item), delayed);
    this.#down = new Wire(ctx.faults, (item) => this.#toClient(item), delayed);
    this.#requests = new HttpFramer('request', (head) => (this.#requestFraming = requestFraming(head)));
    this.#answers = new AnswerQueue(
      () => ctx.stats,
      () => ctx.faults.bufferBytes,
      (item) => this.#down.send(item),
      {
        raw: () => {
          if (this.#upMode === 'await-tunnel') this.#replayHeld('raw');
          else if (this.#upMode === 'http') this.#upMode = 'raw';
        },
        upgradeRefused: () => {
          if (this.#upMode === 'await-tunnel') this.#replayHeld('http');
        },
        closed: () => {
          this.#upMode = 'closed';
          this.#upstream?.end();
        },
      },
    );
    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => {
      if (this.#dead) ctx.stats.faults.droppedBytes += chunk.length;
      else this.#up.send(chunk);
    });
    client.on('end', () => {
      this.#clientEnded = true;
      if (!this.#dead) this.#up.send('end');
    });
    client.on('drain', () => this.flow());
    client.on('error', () => {});
    client.on('close', () => {
      ctx.stats.connections.active--;
      if (!this.#clientEnded && !this.#dead && !this.#finished) this.#up.send('reset');
      this.#finishIfClosed();
    });
    // A connection born inside a blackhole never reaches the server, as a SYN into a dead network would not.
    if (ctx.faults.blackhole) this.blackhole();
    else this.#connect();
    this.flow();
  }

  /** Makes this connection dead for good: bytes, FINs and RSTs from either side go nowhere. */
  blackhole(): void {
    if (this.#dead || this.#finished) return;
    this.#dead = true;
    this.#ctx.stats.faults.blackholed++;
    this.#up.clear();
    this.#down.clear();
    this.#answers.stop();
    this.#upHeld = [];
    this.flow();
  }

  /** Resets both sockets (RST); false when the link was already gone. */
  cut(): boolean {
    if (this.#finished) return false;
    for (const socket of [this.#client, this.#upstream])
      if (socket && !socket.destroyed) socket.resetAndDestroy();
    this.#finish();
    return true;
  }

  /** Closes both sockets without ceremony (the proxy is closing). */
  destroy(): void {
    this.#client.destroy();
    this.#upstream?.destroy();
    this.#finish();
  }

  /** Releases the body bytes `buffer()` holds (it was lifted). */
  flushBuffer(): void {
    this.#answers.flushBuffer();
  }

  /** Delivers what the wires hold that is due (the network resumed). */
  release(): void {
    this.#up.release();
    this.#down.release();
  }

  /**
   * Reads from each socket unless the network is paused (then bytes wait in the kernel, and a
   * sender's buffers fill as they would with a stopped peer) or the other side's socket is full, so
   * a slow reader slows the writer as it would without the proxy. Dead links always read, and drop.
   */
  flow(): void {
    const hold = this.#ctx.faults.paused && !this.#dead;
    const upstream = this.#upstream;
    setReading(this.#client, !hold && !upstream?.writableNeedDrain);
    if (upstream) setReading(upstream, !hold && !this.#client.writableNeedDrain);
  }

  #connect(): void {
    const { host, port } = this.#ctx.target;
    const upstream = connect({ host, port, allowHalfOpen: true, noDelay: true });
    this.#upstream = upstream;
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.#dead) this.#ctx.stats.faults.droppedBytes += chunk.length;
      else this.#answers.fromServer(chunk);
    });
    upstream.on('end', () => {
      this.#upstreamEnded = true;
      if (!this.#dead) this.#answers.serverEnded();
    });
    upstream.on('drain', () => this.flow());
    upstream.on('error', () => {});
    upstream.on('close', () => {
      if (!connected) this.#ctx.stats.connections.upstreamFailed++;
      // A server that vanished without a FIN (or could not be reached) resets the client, as it would directly.
      if (!this.#upstreamEnded && !this.#dead && !this.#finished) this.#down.send('reset');
      this.#finishIfClosed();
    });
  }

  #fromWireUp(item: WireItem): void {
    const upstream = this.#upstream;
    if (item === 'reset') {
      if (upstream && !upstream.destroyed) upstream.resetAndDestroy();
    } else if (this.#upMode === 'await-tunnel') {
      this.#upHeld.push(item);
    } else if (item === 'end') {
      upstream?.end();
    } else {
      this.#fromClient(item);
    }
  }

  #fromClient(chunk: Buffer): void {
    let buf = chunk;
    while (buf.length > 0) {
      if (this.#upMode === 'closed') return;
      if (this.#upMode === 'raw') {
        this.#toUpstream(buf);
        return;
      }
      if (this.#upMode === 'await-tunnel') {
        this.#upHeld.push(buf);
        return;
      }
      const { pieces, rest } = this.#requests.next(buf);
      for (const piece of pieces) this.#onRequestPiece(piece);
      buf = rest;
    }
  }

  #onRequestPiece(piece: Piece): void {
    switch (piece.kind) {
      case 'head':
        this.#onRequest(piece.head);
        return;
      case 'body':
        if (this.#forwarding) this.#toUpstream(piece.bytes);
        return;
      case 'raw':
        // Bytes that are not HTTP we understand: relay them as they are, or drop them after our own answer.
        if (this.#forwarding) {
          this.#upMode = 'raw';
          this.#toUpstream(piece.bytes);
        } else {
          this.#upMode = 'closed';
          this.#answers.closeWhenDone();
        }
        return;
      case 'end':
        if (this.#forwarding && this.#lastForwardedTunnel) this.#upMode = 'await-tunnel';
    }
  }

  #onRequest(head: MessageHead): void {
    const { stats, faults } = this.#ctx;
    const path = pathOf(head.target);
    const route = routeOf(path, this.#ctx.hubPath);
    stats.requests.total++;
    stats.requests.byRoute[route] = (stats.requests.byRoute[route] ?? 0) + 1;
    const tunnel = wantsTunnel(head);
    const upgrade = tunnel && head.method !== 'CONNECT';
    if (upgrade) stats.upgrades.requested++;
    const framing = this.#requestFraming;
    const rule = faults.status.get(path);
    // A request whose body length is unreadable cannot be skipped safely, so it always goes through.
    if (framing && (rule || (upgrade && faults.refuseUpgrades !== undefined))) {
      // After a final answer to `Expect: 100-continue` the client may or may not send the body; closing settles it.
      const expects = /100-continue/i.test(head.headers.get('expect') ?? '') && framing.type !== 'none';
      const options = { close: wantsClose(head) || expects, head: head.method === 'HEAD' };
      let answer: Buffer;
      if (rule) {
        stats.faults.answered++;
        stats.faults.answeredByRoute[route] = (stats.faults.answeredByRoute[route] ?? 0) + 1;
        answer = statusAnswer(rule.kind, options);
      } else {
        stats.faults.refusedUpgrades++;
        answer = refusedUpgradeAnswer(faults.refuseUpgrades!, options);
      }
      this.#forwarding = false;
      // Nothing after a `Connection: close` request may reach the server.
      if (options.close) this.#upMode = 'closed';
      this.#answers.answer(answer, rule?.delayMs ?? 0, options.close);
      return;
    }
    this.#forwarding = true;
    this.#lastForwardedTunnel = tunnel;
    this.#answers.expectServer(head.method, tunnel);
    this.#toUpstream(head.bytes);
  }

  #toUpstream(bytes: Buffer): void {
    const upstream = this.#upstream;
    if (!upstream || upstream.destroyed || upstream.writableEnded) return;
    this.#ctx.stats.bytes.up += bytes.length;
    if (!upstream.write(bytes)) this.flow();
  }

  /** Feeds what the client sent while its upgrade was pending, now that the server decided. */
  #replayHeld(mode: 'http' | 'raw'): void {
    this.#upMode = mode;
    const held = this.#upHeld;
    this.#upHeld = [];
    for (const item of held) this.#fromWireUp(item);
  }

  #toClient(item: WireItem): void {
    const client = this.#client;
    if (client.destroyed) return;
    if (item === 'reset') {
      client.resetAndDestroy();
      return;
    }
    if (client.writableEnded) return;
    if (item === 'end') {
      client.end();
      return;
    }
    this.#ctx.stats.bytes.down += item.length;
    if (!client.write(item)) this.flow();
  }

  #finishIfClosed(): void {
    if (this.#client.destroyed && (!this.#upstream || this.#upstream.destroyed)) this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#up.clear();
    this.#down.clear();
    this.#answers.stop();
    this.#ctx.done(this);
  }
}

function setReading(socket: Socket, on: boolean): void {
  if (socket.destroyed) return;
  if (on) socket.resume();
  else socket.pause();
}
