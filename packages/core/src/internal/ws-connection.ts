import type { BrokerHead } from '../broker.ts';
import type { EventPosition } from '../event-id.ts';
import { formatEventId } from '../event-id.ts';
import type { EventRecord } from '../event-record.ts';
import type { HubRequest } from '../hub-request.ts';
import type { Principal } from '../principal.ts';
import { encodeServerMessage } from '../protocol/codec.ts';
import { CLOSE_CODES, ERROR_CODES } from '../protocol/codes.ts';
import type { ServerMessage } from '../protocol/messages.ts';
import type { SocketPort } from '../socket-port.ts';
import { afterCloseGrace } from './close-grace.ts';
import { conflatedWsText } from './conflated-frames.ts';
import { Connection, type ConnectionOwner, type EndReason } from './connection.ts';

const PING = encodeServerMessage({ type: 'ping' });

/** The close code and reason (always an error code, or empty for a plain close) for an end reason. */
export function closeFor(reason: EndReason): { code: number; reason: string } {
  if (reason === 'normal') return { code: CLOSE_CODES.normal, reason: '' };
  const code = reason === 'shutdown' ? 'unavailable' : reason;
  return { code: ERROR_CODES[code].close, reason: code };
}

/** What a socket that opened without a credential waits with, until its `auth` message. */
export interface AwaitingAuth {
  /** When the `auth` message must have been verified, in ms since the epoch (`authTimeoutMs` after the upgrade). */
  deadlineMs: number;
  /** The topics and cursor of the upgrade URL, started once the socket is authenticated. */
  topics: string[];
  cursor: EventPosition | undefined;
  /** True once the `auth` message arrived and is being verified: later messages queue behind it. */
  verifying: boolean;
}

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
  /**
   * Messages are handled one after another, so a subscribe's replay finishes before the next
   * message. Undefined while nothing is in flight: an idle socket holds no promise.
   */
  queue: Promise<void> | undefined = undefined;
  /** The close owed to a socket the hub ended before the adapter accepted it (see `accept` in routes/ws.ts). */
  endedBeforeAccept: { code: number; reason: string } | undefined;
  /** Set while the socket waits for its first-message credential: it subscribes nothing and gets nothing. */
  awaiting: AwaitingAuth | undefined = undefined;
  /** The upgrade request, kept only on hubs with `authenticate`, which gets it again with an `auth` message's token. */
  request: HubRequest | undefined = undefined;
  constructor(owner: ConnectionOwner, principal: Principal, ip: string | undefined) {
    super(owner, principal, ip);
  }

  /** Sends a control message. */
  send(message: ServerMessage): void {
    this.#send(encodeServerMessage(message));
  }

  #send(text: string, record?: EventRecord): boolean {
    if (this.state !== 'open' || !this.port) return false;
    if (!this.pacing && this.port.bufferedAmount() > this.owner.options.maxBufferedBytes) {
      this.dropSlow();
      return false;
    }
    this.port.send(text, record);
    return true;
  }

  override bufferedAmount(): number {
    return this.port?.bufferedAmount() ?? 0;
  }

  override waitForDrain(): Promise<void> | undefined {
    return this.port?.waitForDrain?.();
  }

  protected write(record: EventRecord): void {
    if (this.#send(record.wsText, record)) this.owner.delivered('ws', record);
  }

  // Without the record: a port's memoized frame of it is the plain one.
  protected writeConflated(record: EventRecord): void {
    if (this.#send(conflatedWsText(record))) this.owner.delivered('ws', record);
  }

  protected writeReset(head: BrokerHead): void {
    this.send({ type: 'reset', cursor: formatEventId(head.epoch, head.seq) });
  }

  protected writeTopicReset(topics: readonly string[]): void {
    this.send({ type: 'reset', cursor: formatEventId(this.epoch, this.lastSeq), topics: [...topics] });
  }

  /** Ends a socket still waiting for its `auth` message at its deadline; else the token expiry. */
  override deadline(now: number): void {
    if (this.awaiting && this.awaiting.deadlineMs <= now) this.end('unauthorized');
    else super.deadline(now);
  }

  override nextDeadline(): number | undefined {
    const auth = this.awaiting?.deadlineMs;
    const expiry = this.expiresAt;
    if (auth === undefined) return expiry;
    return expiry === undefined ? auth : Math.min(auth, expiry);
  }

  override unsubscribed(topics: readonly string[]): void {
    this.send({ type: 'unsubscribed', topics: [...topics] });
  }

  /** Any sign of life from the peer. */
  alive(): void {
    this.awaitingPong = false;
  }

  /** Heartbeat sweep: drop a peer silent since the last ping, else ping it. */
  override heartbeat(): void {
    // A socket waiting for its `auth` message gets nothing (not even a ping); its deadline bounds it.
    if (this.state !== 'open' || !this.port || this.awaiting) return;
    this.strikes = 0;
    if (this.awaitingPong) {
      // A dead peer would never finish a closing handshake: drop it and free its slot now.
      this.terminate('heartbeat_timeout');
      return;
    }
    this.awaitingPong = true;
    if (this.port.ping) this.port.ping();
    else this.#send(PING);
  }

  /**
   * Drops the socket without a closing handshake where the runtime can (`terminate`), else closes it
   * with `reason` (a second close of a closing socket changes nothing), and frees the slot.
   */
  override terminate(reason: EndReason): void {
    if (this.state === 'closed') return;
    if (this.state === 'open') {
      this.state = 'closing';
      this.owner.ended(this, reason);
    }
    if (this.port?.terminate) this.port.terminate();
    else if (this.port) {
      const { code, reason: text } = closeFor(reason);
      this.port.close(code, text);
    }
    this.gone();
  }

  protected farewell(reason: EndReason): void {
    const close = closeFor(reason);
    if (!this.port) {
      this.endedBeforeAccept = close;
      this.gone();
      return;
    }
    const port = this.port;
    if (reason === 'shutdown') {
      // The close code cannot carry a delay (its reason stays the bare error code), so a message
      // right before it does: each client of a closing hub gets its own, and reconnects spread out.
      const retryMs = this.owner.drainDelayMs();
      port.send(encodeServerMessage({ type: 'close', code: close.reason, retryMs }));
    }
    port.close(close.code, close.reason);
    // The slot is freed when the adapter reports the socket closed, so `close()` waits for the
    // handshake, up to the drain timeout (then `terminate`).
    if (reason !== 'slow_consumer') return;
    // A peer that does not read would take its close frame only behind its backlog, if ever: the
    // hub does not wait for that handshake. The slot is free now; the socket goes after the grace.
    if (port.terminate) afterCloseGrace(() => port.terminate!());
    this.gone();
  }
}
