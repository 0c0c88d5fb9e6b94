import type { BrokerHead } from '../broker.ts';
import { formatEventId } from '../event-id.ts';
import type { EventRecord } from '../event-record.ts';
import type { Principal } from '../principal.ts';
import { ERROR_CODES } from '../protocol/codes.ts';
import { sseCloseFrame, sseComment, sseControlFrame } from '../protocol/sse.ts';
import type { StreamPort } from '../stream-port.ts';
import { afterCloseGrace } from './close-grace.ts';
import { conflatedSseText } from './conflated-frames.ts';
import { Connection, type ConnectionOwner, type EndReason } from './connection.ts';

const PING = sseComment('ping');

/** A Server-Sent Events stream. Writes go to a StreamPort: the adapter's direct one, or a ReadableStream. */
export class SseConnection extends Connection {
  get transport(): 'sse' {
    return 'sse';
  }
  readonly #port: StreamPort;

  constructor(owner: ConnectionOwner, principal: Principal, ip: string | undefined, port: StreamPort) {
    super(owner, principal, ip);
    this.#port = port;
  }

  // Nothing is written once the connection is ending: a cut during a replay counts once.
  #send(chunk: string, record?: EventRecord): boolean {
    if (this.state !== 'open') return false;
    if (!this.pacing && this.#port.bufferedAmount() > this.owner.options.maxBufferedBytes) {
      this.dropSlow();
      return false;
    }
    this.#port.write(chunk, record);
    return true;
  }

  override bufferedAmount(): number {
    return this.#port.bufferedAmount();
  }

  override waitForDrain(): Promise<void> | undefined {
    return this.#port.waitForDrain?.();
  }

  protected write(record: EventRecord): void {
    if (this.#send(record.sseText, record)) this.owner.delivered('sse', record);
  }

  // Without the record: a port's memoized bytes of it are the plain frame.
  protected writeConflated(record: EventRecord): void {
    if (this.#send(conflatedSseText(record))) this.owner.delivered('sse', record);
  }

  protected writeReset(head: BrokerHead): void {
    const id = formatEventId(head.epoch, head.seq);
    this.#send(sseControlFrame('reset', JSON.stringify({ cursor: id }), id));
  }

  // No `id:` line: the position does not move, so the browser's Last-Event-ID must not either.
  protected writeTopicReset(topics: readonly string[]): void {
    const cursor = formatEventId(this.epoch, this.lastSeq);
    this.#send(sseControlFrame('reset', JSON.stringify({ cursor, topics })));
  }

  override unsubscribed(topics: readonly string[]): void {
    this.#send(sseControlFrame('unsubscribed', JSON.stringify({ topics })));
  }

  override heartbeat(): void {
    this.#send(PING);
  }

  protected farewell(reason: EndReason): void {
    if (reason === 'shutdown') this.#port.write(sseCloseFrame('unavailable', this.owner.drainDelayMs()));
    else if (reason !== 'normal') {
      // A client that must refresh its token comes back at once; anything else after `retry`.
      const retryMs = ERROR_CODES[reason].recover === 'refresh' ? 0 : this.owner.options.sseRetryMs;
      this.#port.write(sseControlFrame('close', JSON.stringify({ code: reason, retryMs })));
    }
    const port = this.#port;
    port.end();
    // A client that stopped reading may never take the rest: its socket goes after the grace.
    if (reason === 'slow_consumer' && port.destroy) afterCloseGrace(() => port.destroy!());
    this.gone();
  }
}
