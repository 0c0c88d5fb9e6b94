import type { EventRecord } from './event-record.ts';

/**
 * A direct way to write a streaming answer, offered by an adapter that can do better than a
 * `ReadableStream` (on Node: writing straight to the socket). When `handle` is given one, SSE
 * answers go through it and `handle` resolves to `undefined`.
 */
export interface StreamPort {
  /** Sends the status line and headers. Called once, before any write. */
  open(status: number, headers: Headers): void;
  /**
   * Writes one chunk. `record` is set when the chunk is that event's SSE frame, so the port may
   * reuse bytes it framed once for all subscribers (memoized in `record.frames`).
   */
  write(chunk: string, record?: EventRecord): void;
  /** Ends the answer. */
  end(): void;
  /** Bytes written but not yet sent; over `maxBufferedBytes` the connection is dropped as slow. */
  bufferedAmount(): number;
  /**
   * Calls `listener` when the client goes away (it may also be called once the answer has ended;
   * the hub ignores that) and returns true, or returns false if the client is gone already.
   * Optional: without it the hub listens to `request.signal`, which on Node costs an
   * AbortController per request. Long polls and SSE use it.
   */
  watch?(listener: () => void): boolean;
}

/** Extra facts an adapter passes along with a request. */
export interface RequestContext {
  /** The peer's address, for `maxConnectionsPerIp`. Default: unknown, so that limit does not apply. */
  clientAddress?: string;
  /** A direct stream writer for SSE; see StreamPort. */
  stream?: StreamPort;
}
