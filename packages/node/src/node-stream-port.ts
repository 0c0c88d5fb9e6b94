import type { ServerResponse } from 'node:http';
import type { EventRecord, StreamPort } from '@tidings/core';
import { corkForTick } from './cork.ts';
import { frameMemo } from './frame-memo.ts';

// Each event's SSE frame as a Buffer, made once and written to every subscriber.
const frameOf = frameMemo(Symbol('tidings.node.sse-buffer'), (record) => Buffer.from(record.sseText));

/** Options of `createNodeStreamPort`. */
export interface NodeStreamPortOptions {
  /**
   * How long an ended stream may take to flush what is still queued (the `close` event of a slow
   * consumer, behind its backlog) before the socket is destroyed, in ms. Default 30000, the time
   * `ws` gives a closing handshake. Without it, a client that stops reading would hold its socket
   * and backlog forever after the hub released its connection slot.
   */
  endGraceMs?: number;
}

// A class rather than an object of closures: one small object per request (every poll gets one
// too), its methods shared on the prototype. Idle memory per SSE stream is a benchmark target.
class NodeStreamPort implements StreamPort {
  readonly #res: ServerResponse;
  readonly #endGraceMs: number;

  constructor(res: ServerResponse, endGraceMs: number) {
    this.#res = res;
    this.#endGraceMs = endGraceMs;
  }

  open(status: number, headers: Headers): void {
    const res = this.#res;
    // setHeader before writeHead so middleware hooking writeHead (compression) sees them.
    headers.forEach((value, key) => {
      res.setHeader(key, value);
    });
    res.socket?.setTimeout(0);
    res.socket?.setNoDelay(true);
    res.writeHead(status);
  }

  write(chunk: string, record?: EventRecord): void {
    const res = this.#res;
    if (res.writableEnded || res.destroyed) return;
    corkForTick(res.socket);
    res.write(record ? frameOf(record) : chunk);
  }

  end(): void {
    const res = this.#res;
    if (res.writableEnded) return;
    res.end();
    if (res.writableFinished || res.destroyed) return;
    const timer = setTimeout(() => res.destroy(), this.#endGraceMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
  }

  bufferedAmount(): number {
    const res = this.#res;
    return res.writableLength + (res.socket?.writableLength ?? 0);
  }

  watch(listener: () => void): boolean {
    const res = this.#res;
    // A response whose socket closed before the route got here: the client is gone.
    if (res.destroyed && !res.writableFinished) return false;
    res.once('close', listener);
    return true;
  }
}

/**
 * The Node fast path for SSE: writes go straight to the ServerResponse (no web stream), each
 * event's bytes are shared by all subscribers, and the socket is corked per tick so a burst of
 * events costs one syscall per client.
 */
export function createNodeStreamPort(res: ServerResponse, options: NodeStreamPortOptions = {}): StreamPort {
  return new NodeStreamPort(res, options.endGraceMs ?? 30_000);
}
