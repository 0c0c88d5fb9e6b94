import type { EventRecord } from './event-record.ts';

/**
 * A direct way to write a streaming answer, offered by an adapter that can do better than a
 * `ReadableStream` (on Node: writing straight to the socket). When `handle` is given one, SSE
 * answers go through it and `handle` resolves to `undefined`.
 */
export interface StreamPort {
  /**
   * Sends the status line and headers. Called once, before any write. `headers` is one frozen
   * object shared by every stream (lower-case names), so opening a stream allocates nothing.
   */
  open(status: number, headers: Readonly<Record<string, string>>): void;
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
   * Resolves once some of what was written has been sent (on Node: the socket's `drain`), or the
   * client is gone; it may also resolve early, and the hub then reads `bufferedAmount` again. Never
   * rejects. A replay is paced by it: the hub writes history while under half of
   * `maxBufferedBytes` is queued, then waits here until under a quarter. Optional: without it the
   * hub looks at `bufferedAmount` again every few milliseconds while it waits.
   */
  waitForDrain?(): Promise<void>;
  /**
   * Drops the connection at once, whatever is still queued. Called after `end()` for a client cut
   * as a slow consumer that has not taken its `close` event within the close grace (5 s), so a
   * client that stopped reading does not keep its socket and backlog. Optional: without it the
   * answer is only ended.
   */
  destroy?(): void;
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
