import type { BrokerHead } from '../broker.ts';
import type { EventRecord } from '../event-record.ts';
import type { Principal } from '../principal.ts';
import type { ErrorCode } from '../protocol/codes.ts';

/** The three transports that hold a connection (a short poll is a request, not a connection). */
export type Transport = 'ws' | 'sse' | 'long-poll';

/** Why the server ends a connection; `normal` is a plain close. */
export type EndReason = ErrorCode | 'normal' | 'shutdown';

/** What a connection needs from the hub that owns it. */
export interface ConnectionOwner {
  /** Removes the connection from every index and frees its limit slots. */
  release(connection: Connection): void;
  /** Counts one delivered event. */
  delivered(): void;
  /** Counts one connection dropped as a slow consumer. */
  dropped(): void;
  /** Counts one reset sent. */
  resetSent(): void;
}

let nextId = 0;
// Ids need to be unique, not secret: a random prefix per process (so ids from two processes behind
// one balancer differ) and a counter, instead of a random draw per connection.
let idPrefix: string | undefined;

/**
 * State shared by every transport: who, which topics, and the position in the log. The hub's
 * fan-out calls `offer` for each event on a subscribed topic; while the connection is replaying
 * history, live events wait in `pending`, so history always comes first and no id repeats.
 */
export abstract class Connection {
  abstract readonly transport: Transport;
  readonly principal: Principal;
  readonly ip: string | undefined;
  /** Subscribed topics: an array, not a Set, since there are few (at most maxTopicsPerConnection). */
  readonly topics: string[] = [];
  readonly owner: ConnectionOwner;
  epoch = '';
  lastSeq = 0;
  pending: EventRecord[] | undefined = undefined;
  closed = false;
  /** Set while this connection sits in the ticker's wheel. */
  wheelSlot: number | undefined = undefined;
  /** When the credential expires (ms), from the principal. */
  readonly expiresAt: number | undefined;
  readonly #n: number;

  constructor(owner: ConnectionOwner, principal: Principal, ip: string | undefined) {
    this.owner = owner;
    this.principal = principal;
    this.ip = ip;
    this.expiresAt = principal.expiresAt;
    idPrefix ??= crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);
    this.#n = ++nextId;
  }

  /** Unique id, formatted when asked (once, in the welcome) rather than kept as a string. */
  get id(): string {
    return `${idPrefix}.${this.#n.toString(36)}`;
  }

  /** Live fan-out entry point. */
  offer(record: EventRecord): void {
    if (this.closed) return;
    if (this.pending) this.pending.push(record);
    else this.deliver(record);
  }

  /** Sends `record` unless it was already sent; ids only move forward on one connection. */
  deliver(record: EventRecord): void {
    if (record.seq <= this.lastSeq) return;
    this.lastSeq = record.seq;
    this.write(record);
  }

  /**
   * Writes one replayed event. `older` replays topics the connection only now subscribed to, whose
   * events may lie before its position; those were never sent on this connection, so they go out.
   */
  replay(record: EventRecord, older: boolean): void {
    if (older && record.seq <= this.lastSeq) this.write(record);
    else this.deliver(record);
  }

  /** Tells the client that events were lost; it continues from `head`. */
  reset(head: BrokerHead): void {
    if (this.closed) return;
    this.epoch = head.epoch;
    this.lastSeq = head.seq;
    this.owner.resetSent();
    this.writeReset(head);
  }

  /** Ends replay: delivers the live events that arrived meanwhile, then goes live. */
  goLive(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) for (const record of pending) if (!this.closed) this.deliver(record);
  }

  /** Called by the ticker at this connection's deadline; `now` in ms. */
  deadline(now: number): void {
    if (this.expiresAt !== undefined && this.expiresAt <= now) this.end('token_expired');
  }

  /** The next time the ticker must look at this connection, if any. */
  nextDeadline(): number | undefined {
    return this.expiresAt;
  }

  protected abstract write(record: EventRecord): void;
  protected abstract writeReset(head: BrokerHead): void;
  /** Ends the connection from the server side, telling the client why where the transport can. */
  abstract end(reason: EndReason): void;
}
