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
  /**
   * Resolves once some of what was queued has been sent, or the socket is gone; see
   * `StreamPort.waitForDrain`. Optional: without it the hub looks at `bufferedAmount` again every
   * few milliseconds while a replay waits.
   */
  waitForDrain?(): Promise<void>;
  /** Sends a protocol ping frame. Leave it out where the runtime cannot; the hub then sends `{"type":"ping"}`. */
  ping?(): void;
  /**
   * Drops the connection without a handshake: a dead peer, or one cut as a slow consumer that has not
   * taken its close frame within the close grace (5 s). Default: `close(1001)` for a dead peer,
   * nothing more for a slow one.
   */
  terminate?(): void;
}

/** What the adapter calls when its socket reports something. */
export interface SocketHandlers {
  /**
   * A message arrived; `binary` when it was a binary frame (refused: the protocol is text).
   * `byteLength` is a binary message's size, so one over `maxMessageBytes` closes with 1009 as
   * text does; leave it out where the runtime enforces that limit itself (`ws`'s `maxPayload`).
   */
  message(data: string, binary?: boolean, byteLength?: number): void;
  /** A protocol pong frame arrived. */
  pong(): void;
  /** The socket is closed, whoever closed it. */
  closed(): void;
}
