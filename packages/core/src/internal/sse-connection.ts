import type { BrokerHead } from '../broker.ts';
import { formatEventId } from '../event-id.ts';
import type { EventRecord } from '../event-record.ts';
import type { Principal } from '../principal.ts';
import { sseComment, sseControlFrame } from '../protocol/sse.ts';
import type { StreamPort } from '../stream-port.ts';
import { Connection, type ConnectionOwner, type EndReason } from './connection.ts';

const PING = sseComment('ping');

/** A Server-Sent Events stream. Writes go to a StreamPort: the adapter's direct one, or a ReadableStream. */
export class SseConnection extends Connection {
  get transport(): 'sse' {
    return 'sse';
  }
  readonly #port: StreamPort;
  readonly #maxBufferedBytes: number;
  readonly #retryMs: number;

  constructor(
    owner: ConnectionOwner,
    principal: Principal,
    ip: string | undefined,
    port: StreamPort,
    maxBufferedBytes: number,
    retryMs: number,
  ) {
    super(owner, principal, ip);
    this.#port = port;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#retryMs = retryMs;
  }

  #send(chunk: string, record?: EventRecord): void {
    if (this.#port.bufferedAmount() > this.#maxBufferedBytes) {
      this.owner.dropped();
      this.end('slow_consumer');
      return;
    }
    this.#port.write(chunk, record);
  }

  protected write(record: EventRecord): void {
    this.#send(record.sseText, record);
    if (!this.closed) this.owner.delivered();
  }

  protected writeReset(head: BrokerHead): void {
    const id = formatEventId(head.epoch, head.seq);
    this.#send(sseControlFrame('reset', JSON.stringify({ cursor: id }), id));
  }

  /**
   * Heartbeat comment. Named `heartbeat` because the hub's shared sweep calls that method on every
   * connection of a transport (it was `ping`, so the SSE sweep threw and no `: ping` ever went out).
   */
  heartbeat(): void {
    if (!this.closed) this.#send(PING);
  }

  end(reason: EndReason): void {
    if (this.closed) return;
    this.closed = true;
    if (reason !== 'normal') {
      const code = reason === 'shutdown' ? 'unavailable' : reason;
      // A slow consumer or a server going away should come back later; an expired token at once, with a new token.
      const retryMs = code === 'token_expired' ? 0 : this.#retryMs;
      this.#port.write(sseControlFrame('close', JSON.stringify({ code, retryMs })));
    }
    this.#port.end();
    this.owner.release(this);
  }

  /** The client went away: release without writing. */
  gone(): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.release(this);
  }
}
