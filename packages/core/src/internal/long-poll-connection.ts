import type { BrokerHead } from '../broker.ts';
import type { EventRecord } from '../event-record.ts';
import type { HubAnswer } from '../hub-request.ts';
import type { Principal } from '../principal.ts';
import { Connection, type ConnectionOwner, type EndReason } from './connection.ts';
import { jsonAnswer } from './http.ts';
import { resetAnswer } from './log-answer.ts';

/** What a long poll needs beyond the common owner: batching of answers. */
export interface LongPollOwner extends ConnectionOwner {
  answerSoon(waiter: { answer(): void }): void;
}

// All waiters that get exactly one event answer with the same bytes: built once per event.
const SINGLE_BODY = Symbol('tidings.long-poll.single');

/** Body of a poll answer from already-encoded envelopes. */
export function pollBody(records: readonly EventRecord[], cursor: string): string {
  if (records.length === 1) {
    const record = records[0]!;
    let body = record.frames.get(SINGLE_BODY) as string | undefined;
    if (body === undefined) {
      body = `{"events":[${record.envelope}],"cursor":${JSON.stringify(record.id)}}`;
      record.frames.set(SINGLE_BODY, body);
    }
    return body;
  }
  let events = '';
  for (const record of records) events += events === '' ? record.envelope : `,${record.envelope}`;
  return `{"events":[${events}],"cursor":${JSON.stringify(cursor)}}`;
}

/**
 * A waiting long poll. It holds a limit slot until it answers: at the first event (batched with
 * whatever else arrives in the same turn), on reset, at its timeout, or when the server ends it.
 */
export class LongPollConnection extends Connection {
  get transport(): 'long-poll' {
    return 'long-poll';
  }
  readonly #owner: LongPollOwner;
  readonly #resolve: (answer: HubAnswer) => void;
  readonly #waitUntil: number;
  #batch: EventRecord[] = [];
  #cursor: string;

  constructor(
    owner: LongPollOwner,
    principal: Principal,
    ip: string | undefined,
    waitMs: number,
    cursor: string,
    resolve: (answer: HubAnswer) => void,
  ) {
    super(owner, principal, ip);
    this.#owner = owner;
    this.#waitUntil = Date.now() + waitMs;
    this.#cursor = cursor;
    this.#resolve = resolve;
  }

  protected write(record: EventRecord): void {
    this.#batch.push(record);
    this.#cursor = record.id;
    this.owner.delivered();
    if (this.#batch.length === 1 && !this.pending) this.#owner.answerSoon(this);
  }

  override goLive(): void {
    super.goLive();
    // A replay that found events answers now; otherwise the poll waits.
    if (this.#batch.length > 0) this.#owner.answerSoon(this);
  }

  protected writeReset(head: BrokerHead): void {
    this.#finish(resetAnswer(head));
  }

  /** Answers with everything batched so far. */
  answer(): void {
    this.#finish(jsonAnswer(200, pollBody(this.#batch, this.#cursor)));
  }

  override deadline(now: number): void {
    super.deadline(now);
    if (!this.closed && this.#waitUntil <= now) this.answer();
  }

  override nextDeadline(): number {
    return Math.min(this.#waitUntil, this.expiresAt ?? Number.POSITIVE_INFINITY);
  }

  /** Server-side end (shutdown, expiry): answer with what there is. */
  end(_reason: EndReason): void {
    this.answer();
  }

  /** The client went away while waiting: free the slot at once. */
  gone(): void {
    // Also reported after a normal answer (a Node response's `close`): nothing left to do then.
    if (this.closed) return;
    // Settle the request's promise too (with an answer no one will read) so an adapter awaiting
    // `handle` is never left hanging.
    this.#finish(jsonAnswer(200, pollBody(this.#batch, this.#cursor)));
  }

  #finish(answer: HubAnswer): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.release(this);
    this.#resolve(answer);
  }
}
