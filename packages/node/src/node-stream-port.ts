import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { EventRecord, StreamPort } from '@tidings/core/adapter';
import { corkForTick } from './cork.ts';
import { drainOf } from './drain-of.ts';
import { frameMemo } from './frame-memo.ts';

// Each event's SSE frame as a Buffer, made once and written to every subscriber.
const frameOf = frameMemo(Symbol('tidings.node.sse-buffer'), (record) => Buffer.from(record.sseText));

// The same frame as one HTTP/1.1 chunk (size line, data, CRLF), made once: on a chunked response
// that nothing wraps, it goes straight to the socket. res.write would frame it again for every
// subscriber (a size string and three writes each), which was most of SSE fan-out's cost.
const chunkOf = frameMemo(Symbol('tidings.node.sse-chunk'), (record) => {
  const data = frameOf(record);
  const size = `${data.length.toString(16)}\r\n`;
  const chunk = Buffer.allocUnsafe(size.length + data.length + 2);
  chunk.write(size, 0, 'latin1');
  data.copy(chunk, size.length);
  chunk.write('\r\n', size.length + data.length, 'latin1');
  return chunk;
});

/** The socket a response may write its chunks to itself, or undefined (see `NodeStreamPort.write`). */
function directSocket(res: ServerResponse): Socket | undefined {
  const socket = res.socket as (Socket & { _httpMessage?: unknown }) | null;
  // Chunked (HTTP/1.1 without a length), the socket's current response (not queued behind a
  // pipelined one), and res.write not replaced (compression middleware must see every byte).
  if (!socket || socket._httpMessage !== res || !res.chunkedEncoding) return undefined;
  return res.write === ServerResponse.prototype.write ? socket : undefined;
}

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
  /** Set after the first write, which sends the headers: where events' chunks go directly. */
  #direct: Socket | undefined;

  constructor(res: ServerResponse, endGraceMs: number) {
    this.#res = res;
    this.#endGraceMs = endGraceMs;
  }

  open(status: number, headers: Readonly<Record<string, string>>): void {
    const res = this.#res;
    res.socket?.setTimeout(0);
    res.socket?.setNoDelay(true);
    if (res.writeHead === ServerResponse.prototype.writeHead) {
      // Handed to writeHead, the headers go out without being kept on the response (setHeader
      // keeps an object and an array per header for the stream's whole life: idle memory per SSE
      // stream is a benchmark target).
      res.writeHead(status, headers);
      return;
    }
    // setHeader before writeHead so middleware hooking writeHead (compression) sees them.
    for (const key in headers) res.setHeader(key, headers[key]!);
    res.writeHead(status);
  }

  write(chunk: string, record?: EventRecord): void {
    const res = this.#res;
    if (res.writableEnded || res.destroyed) return;
    corkForTick(res.socket);
    const direct = this.#direct;
    if (record && direct && !direct.destroyed) {
      direct.write(chunkOf(record));
      return;
    }
    res.write(record ? frameOf(record) : chunk);
    // After res.write the headers are out and nothing waits in the response's own buffer, so
    // later chunks may bypass it; both paths write to the same socket, in order.
    this.#direct ??= directSocket(res);
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
    // The response's writableLength already counts its socket's queue (Node ≥ 20): adding the
    // socket's again counted every byte twice and cut healthy clients at half the limit.
    return this.#res.writableLength;
  }

  waitForDrain(): Promise<void> {
    return drainOf(this.#res.socket);
  }

  destroy(): void {
    const res = this.#res;
    if (!res.writableFinished) res.destroy();
  }

  watch(listener: () => void): boolean {
    const res = this.#res;
    // A response whose socket closed before the route got here: the client is gone.
    if (res.destroyed && !res.writableFinished) return false;
    // on, not once: 'close' comes once, and once would keep a wrapper and its state per stream.
    res.on('close', listener);
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
