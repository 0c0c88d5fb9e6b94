import type { BrokerHead } from '../broker.ts';
import type { EventRecord } from '../event-record.ts';
import type { ResolvedOptions } from '../options.ts';
import type { Principal } from '../principal.ts';
import type { ErrorCode } from '../protocol/codes.ts';

/** The three transports that hold a connection (a short poll is a request, not a connection). */
export type Transport = 'ws' | 'sse' | 'long-poll';

/** Why the server ends a connection; `normal` is a plain close, `shutdown` the hub closing. */
export type EndReason = ErrorCode | 'normal' | 'shutdown';

/**
 * Where a connection is in its life. `open`: it delivers. `closing`: the server ended it and said
 * why; it waits for the transport to confirm (a WebSocket closing handshake) and delivers nothing.
 * `closed`: gone, its limit slots freed.
 */
export type ConnectionState = 'open' | 'closing' | 'closed';

/** What a connection needs from the hub that owns it. */
export interface ConnectionOwner {
  /** The hub's options, read by connections rather than copied onto each (idle memory per connection counts). */
  readonly options: Pick<ResolvedOptions, 'maxBufferedBytes' | 'sseRetryMs'>;
  /** Removes the connection from every index and frees its limit slots. Called once, by `gone()`. */
  release(connection: Connection): void;
  /** Counts one delivered event. */
  delivered(transport: Transport, record: EventRecord): void;
  /** Counts one connection dropped as a slow consumer. */
  dropped(): void;
  /** Counts one reset sent: of `topics`, or of everything. */
  resetSent(transport: Transport, topics?: readonly string[], connection?: Connection): void;
  /** Notes why the server ends a connection, for `onDisconnect` and the metrics. */
  ended(connection: Connection, reason: EndReason): void;
  /** The reconnect delay for one client the closing hub sends away, in ms: its own, below `drainSpreadMs`. */
  drainDelayMs(): number;
}

let nextId = 0;
// Ids need to be unique, not secret: a random prefix per process (so ids from two processes behind
// one balancer differ) and a counter, instead of a random draw per connection.
let idPrefix: string | undefined;

/**
 * State shared by every transport: who, which topics, the position in the log, and one lifecycle
 * (see ConnectionState) with two ways out: `end(reason)` when the server ends it, `gone()` when
 * the transport is gone (the client left, the socket closed, the answer went out).
 *
 * The hub's fan-out calls `offer` for each event on a subscribed topic; while the connection is
 * replaying history, live events wait in `pending`, so history always comes first and no id repeats.
 */
export abstract class Connection {
  abstract readonly transport: Transport;
  /** Who is connected. Replaced only through `Registry.identify` (a WebSocket's `auth` message), which keeps the per-user counts right. */
  principal: Principal;
  readonly ip: string | undefined;
  /**
   * Subscribed topics: an array, not a Set, since there are few (at most maxTopicsPerConnection).
   * The registry grows it by replacing it (concat), so its capacity is exactly its topics.
   */
  topics: string[] = [];
  readonly owner: ConnectionOwner;
  epoch = '';
  lastSeq = 0;
  pending: EventRecord[] | undefined = undefined;
  /**
   * Set while a replay is paced by the transport's drain (see paced-replay.ts): the replay bounds
   * how long the reader may take, so the live slow-consumer rule does not judge it meanwhile.
   */
  pacing = false;
  state: ConnectionState = 'open';
  /** Set while this connection sits in the ticker's wheel. */
  wheelSlot: number | undefined = undefined;
  /** When the credential expires (ms), from the principal; a WebSocket `auth` message moves it (then reschedule in the ticker). */
  expiresAt: number | undefined;
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

  /** True once the connection no longer delivers (closing or closed). */
  get closed(): boolean {
    return this.state !== 'open';
  }

  /** Live fan-out entry point. */
  offer(record: EventRecord): void {
    if (this.state !== 'open') return;
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

  /**
   * As `deliver`, for an event of a conflated topic that stands for older events of its topic and
   * name this connection never got: it goes out with `"conflated":true`.
   */
  deliverConflated(record: EventRecord): void {
    if (record.seq <= this.lastSeq) return;
    this.lastSeq = record.seq;
    this.writeConflated(record);
  }

  /** As `replay`, for a replayed event that stands for older ones (see `deliverConflated`). */
  replayConflated(record: EventRecord, older: boolean): void {
    if (older && record.seq <= this.lastSeq) this.writeConflated(record);
    else this.deliverConflated(record);
  }

  /**
   * Tells the client that `topics` lost events after its position. Nothing moves: what those topics
   * still retain follows in the replay, with everything else.
   */
  resetTopics(topics: readonly string[]): void {
    if (this.state !== 'open' || topics.length === 0) return;
    this.owner.resetSent(this.transport, topics, this);
    this.writeTopicReset(topics);
  }

  /** Tells the client that events were lost; it continues from `head`. */
  reset(head: BrokerHead): void {
    if (this.state !== 'open') return;
    this.epoch = head.epoch;
    this.lastSeq = head.seq;
    this.owner.resetSent(this.transport, undefined, this);
    this.writeReset(head);
  }

  /** Ends replay: delivers the live events that arrived meanwhile, then goes live. */
  goLive(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) for (const record of pending) if (this.state === 'open') this.deliver(record);
  }

  /** Bytes written to the transport and not yet sent. Default 0: a long poll queues nothing. */
  bufferedAmount(): number {
    return 0;
  }

  /**
   * Resolves once the transport has sent some of what it queued, or is gone (see
   * `StreamPort.waitForDrain`); undefined when the transport cannot tell, and the caller then looks
   * at `bufferedAmount` again after a pause.
   */
  waitForDrain(): Promise<void> | undefined {
    return undefined;
  }

  /**
   * Ends a connection that fell more than it may behind, as a slow consumer. Counted once per
   * connection, however many events were still to be sent.
   */
  dropSlow(): void {
    if (this.state !== 'open') return;
    this.owner.dropped();
    this.end('slow_consumer');
  }

  /** Called by the ticker at this connection's deadline; `now` in ms. */
  deadline(now: number): void {
    if (this.expiresAt !== undefined && this.expiresAt <= now) this.end('token_expired');
  }

  /** The next time the ticker must look at this connection, if any. */
  nextDeadline(): number | undefined {
    return this.expiresAt;
  }

  /** The hub's heartbeat sweep for this connection's transport. Default: nothing to do (a long poll). */
  heartbeat(): void {}

  /**
   * The server removed `topics` from this connection (`hub.unsubscribe`): tell the client where the
   * transport can. Default: nothing (a long poll answers instead, see LongPollConnection).
   */
  unsubscribed(_topics: readonly string[]): void {}

  /** The server ends the connection, telling the client why where the transport can. Idempotent. */
  end(reason: EndReason): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.owner.ended(this, reason);
    this.farewell(reason);
  }

  /**
   * Drops the transport at once, without waiting for it to finish (a WebSocket's closing handshake),
   * then frees the slots: for a peer that stopped answering, or whatever is left when the drain times
   * out. Default: nothing of the transport is left to wait for (SSE and long polls end at once), so
   * only the slots. A connection the server had not ended yet is noted as ended for `reason`.
   * Idempotent.
   */
  terminate(reason: EndReason): void {
    if (this.state === 'open') {
      this.state = 'closing';
      this.owner.ended(this, reason);
    }
    this.gone();
  }

  /** The transport is gone: the connection is closed and its slots freed. Idempotent. */
  gone(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.owner.release(this);
  }

  protected abstract write(record: EventRecord): void;
  /** Writes an event with `"conflated":true` in its envelope (see conflated-frames.ts). */
  protected abstract writeConflated(record: EventRecord): void;
  protected abstract writeReset(head: BrokerHead): void;
  protected abstract writeTopicReset(topics: readonly string[]): void;
  /**
   * Says why the connection ends, in the transport's own way, and calls `gone()` once nothing is
   * left to wait for (at once, or when a WebSocket's closing handshake completes).
   */
  protected abstract farewell(reason: EndReason): void;
}
