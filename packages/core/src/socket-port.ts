import type { EventRecord } from './event-record.ts';

/**
 * The few things the hub needs from an accepted WebSocket, implemented by each adapter over its
 * runtime's socket.
 */
export interface SocketPort {
  /**
   * Sends one text frame. `record` is set when the text is that event's message, so the port may
   * send a frame it built once for all subscribers (memoized in `record.frames`).
   */
  send(text: string, record?: EventRecord): void;
  /** Starts the closing handshake with a code and a short reason. */
  close(code: number, reason: string): void;
  /** Bytes queued but not yet sent. */
  bufferedAmount(): number;
  /** Sends a protocol ping frame. Leave it out where the runtime cannot; the hub then sends `{"type":"ping"}`. */
  ping?(): void;
  /** Drops the connection without a handshake (a dead peer). Default: `close(1001)`. */
  terminate?(): void;
}

/** What the adapter calls when its socket reports something. */
export interface SocketHandlers {
  /** A message arrived; `binary` when it was a binary frame (refused: the protocol is text). */
  message(data: string, binary?: boolean): void;
  /** A protocol pong frame arrived. */
  pong(): void;
  /** The socket is closed, whoever closed it. */
  closed(): void;
}
