import type { BrokerHead } from '../broker.ts';
import { formatEventId } from '../event-id.ts';
import type { EventRecord } from '../event-record.ts';
import type { Principal } from '../principal.ts';
import { encodeServerMessage } from '../protocol/codec.ts';
import { CLOSE_CODES, ERROR_CODES } from '../protocol/codes.ts';
import type { ServerMessage } from '../protocol/messages.ts';
import type { SocketPort } from '../socket-port.ts';
import { Connection, type ConnectionOwner, type EndReason } from './connection.ts';

const PING = encodeServerMessage({ type: 'ping' });

/** An accepted WebSocket. Its messages are handled by ws-session; this class is its state and output. */
export class WsConnection extends Connection {
  get transport(): 'ws' {
    return 'ws';
  }
  port: SocketPort | undefined;
  /** Set when a ping went out and nothing has come back since. */
  awaitingPong = false;
  /** Malformed messages in the current heartbeat interval. */
  strikes = 0;
  publishWindowStart = 0;
  publishCount = 0;
  /**
   * Messages are handled one after another, so a subscribe's replay finishes before the next
   * message. Undefined while nothing is in flight: an idle socket holds no promise.
   */
  queue: Promise<void> | undefined = undefined;
  /** The close owed to a socket the hub ended before the adapter accepted it (see `accept` in routes/ws.ts). */
  endedBeforeAccept: { code: number; reason: string } | undefined;
  readonly #maxBufferedBytes: number;

  constructor(
    owner: ConnectionOwner,
    principal: Principal,
    ip: string | undefined,
    maxBufferedBytes: number,
  ) {
    super(owner, principal, ip);
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  /** Sends a control message. */
  send(message: ServerMessage): void {
    this.#send(encodeServerMessage(message));
  }

  #send(text: string, record?: EventRecord): void {
    if (this.closed || !this.port) return;
    if (this.port.bufferedAmount() > this.#maxBufferedBytes) {
      this.owner.dropped();
      this.end('slow_consumer');
      return;
    }
    this.port.send(text, record);
  }

  protected write(record: EventRecord): void {
    this.#send(record.wsText, record);
    if (!this.closed) this.owner.delivered();
  }

  protected writeReset(head: BrokerHead): void {
    this.send({ type: 'reset', cursor: formatEventId(head.epoch, head.seq) });
  }

  /** Any sign of life from the peer. */
  alive(): void {
    this.awaitingPong = false;
  }

  /** Heartbeat sweep: close a peer silent since the last ping, else ping it. */
  heartbeat(): void {
    if (this.closed || !this.port) return;
    this.strikes = 0;
    if (this.awaitingPong) {
      this.closed = true;
      if (this.port.terminate) this.port.terminate();
      else this.port.close(CLOSE_CODES.goingAway, 'heartbeat timeout');
      this.owner.release(this);
      return;
    }
    this.awaitingPong = true;
    if (this.port.ping) this.port.ping();
    else this.#send(PING);
  }

  end(reason: EndReason): void {
    if (this.closed) return;
    this.closed = true;
    const code =
      reason === 'normal'
        ? CLOSE_CODES.normal
        : reason === 'shutdown'
          ? CLOSE_CODES.goingAway
          : ERROR_CODES[reason].close;
    // The slot is freed when the adapter reports the socket closed, so `close()` waits for the handshake.
    this.port?.close(code, reason === 'normal' ? '' : reason);
    if (!this.port) {
      this.endedBeforeAccept = { code, reason: reason === 'normal' ? '' : reason };
      this.owner.release(this);
    }
  }

  /** The socket closed. */
  gone(): void {
    this.closed = true;
    this.owner.release(this);
  }
}
