import type { BrokerHead } from '../broker.ts';
import { TidingsError } from '../errors.ts';
import type { EventRecord } from '../event-record.ts';
import type { HubAnswer } from '../hub-request.ts';
import type { Principal } from '../principal.ts';
import { conflatedEnvelope } from './conflated-frames.ts';
import type { Conflation } from './conflation.ts';
import { Connection, type ConnectionOwner, type EndReason } from './connection.ts';
import { errorAnswerOf, jsonAnswer } from './http.ts';
import { resetAnswer } from './log-answer.ts';

/** What a long poll needs beyond the common owner: batching of answers, and conflation if any. */
export interface LongPollOwner extends ConnectionOwner {
  answerSoon(waiter: { answer(): void }): void;
  /** Set on a hub with conflated topics: a batch keeps the newest event per topic and name. */
  readonly conflation?: Conflation | undefined;
}

// All waiters that get exactly one event answer with the same bytes: built once per event.
const SINGLE_BODY = Symbol('tidings.long-poll.single');

/** The envelopes of `records`, comma-separated; those in `flagged` with `"conflated":true`. */
function envelopes(records: readonly EventRecord[], flagged: ReadonlySet<EventRecord> | undefined): string {
  let events = '';
  for (const record of records) {
    const envelope = flagged?.has(record) ? conflatedEnvelope(record) : record.envelope;
    events += events === '' ? envelope : `,${envelope}`;
  }
  return events;
}

/**
 * Body of a poll answer from already-encoded envelopes, with the topics that lost events, if any,
 * and the delay before the next poll that a closing hub hands out. `flagged`: events sent
 * conflated (see conflation.ts).
 */
export function pollBody(
  records: readonly EventRecord[],
  cursor: string,
  lost?: readonly string[],
  retryMs?: number,
  flagged?: ReadonlySet<EventRecord>,
): string {
  if (lost?.length || retryMs !== undefined || flagged?.size) {
    const resetTopics = lost?.length ? `,"resetTopics":${JSON.stringify(lost)}` : '';
    const retry = retryMs === undefined ? '' : `,"retryMs":${Math.trunc(retryMs)}`;
    return `{"events":[${envelopes(records, flagged)}],"cursor":${JSON.stringify(cursor)}${resetTopics}${retry}}`;
  }
  if (records.length === 1) {
    const record = records[0]!;
    let body = record.frames.get(SINGLE_BODY) as string | undefined;
    if (body === undefined) {
      body = `{"events":[${record.envelope}],"cursor":${JSON.stringify(record.id)}}`;
      record.frames.set(SINGLE_BODY, body);
    }
    return body;
  }
  return `{"events":[${envelopes(records, undefined)}],"cursor":${JSON.stringify(cursor)}}`;
}

/**
 * A waiting long poll. It holds a limit slot until it answers: at the first event (batched with
 * whatever else arrives in the same turn), on reset, at its timeout, or when the server ends it.
 * Its request's promise always settles, even when the client left first (nobody reads that answer),
 * so an adapter awaiting it is never left hanging.
 */
export class LongPollConnection extends Connection {
  get transport(): 'long-poll' {
    return 'long-poll';
  }
  readonly #owner: LongPollOwner;
  readonly #resolve: (answer: HubAnswer) => void;
  readonly #waitUntil: number;
  #batch: EventRecord[] = [];
  /** Events of the batch that go out conflated; made only when one does. */
  #flagged: Set<EventRecord> | undefined;
  #lost: string[] | undefined;
  #cursor: string;

  constructor(
    owner: LongPollOwner,
    principal: Principal,
    ip: string | undefined,
    waitUntil: number,
    cursor: string,
    resolve: (answer: HubAnswer) => void,
  ) {
    super(owner, principal, ip);
    this.#owner = owner;
    this.#waitUntil = waitUntil;
    this.#cursor = cursor;
    this.#resolve = resolve;
  }

  protected write(record: EventRecord): void {
    this.#batch.push(record);
    this.#cursor = record.id;
    this.owner.delivered('long-poll', record);
    if (this.#batch.length === 1 && !this.pending) this.#owner.answerSoon(this);
  }

  protected writeConflated(record: EventRecord): void {
    this.#flagged ??= new Set();
    this.#flagged.add(record);
    this.write(record);
  }

  override goLive(): void {
    super.goLive();
    // A replay that found events (or lost some) answers now; otherwise the poll waits.
    if (this.#batch.length > 0 || this.#lost) this.#owner.answerSoon(this);
  }

  protected writeReset(head: BrokerHead): void {
    this.#finish(resetAnswer(head));
  }

  // The replay that follows carries the events; the answer names the topics that lost some.
  protected writeTopicReset(topics: readonly string[]): void {
    this.#lost = [...(this.#lost ?? []), ...topics];
    if (!this.pending) this.#owner.answerSoon(this);
  }

  /** Answers with everything batched so far. */
  answer(): void {
    this.#finish(jsonAnswer(200, this.#body(this.#lost)));
  }

  // The batch, conflated where the hub conflates: the newest event it holds per topic and name.
  // The newest event of the batch is always kept, so the cursor stays its id.
  #body(lost?: readonly string[], retryMs?: number): string {
    const squashed = this.#owner.conflation?.squash(this.#batch);
    if (!squashed) return pollBody(this.#batch, this.#cursor, lost, retryMs, this.#flagged);
    let flagged: Set<EventRecord> | ReadonlySet<EventRecord> = squashed.flagged;
    if (this.#flagged) flagged = new Set([...squashed.flagged, ...this.#flagged]);
    return pollBody(squashed.records, this.#cursor, lost, retryMs, flagged);
  }

  // Answered now, so that the next request asks for its topics again (and `authorize` decides).
  override unsubscribed(): void {
    this.answer();
  }

  override deadline(now: number): void {
    super.deadline(now);
    if (this.state === 'open' && this.#waitUntil <= now) this.answer();
  }

  override nextDeadline(): number {
    return Math.min(this.#waitUntil, this.expiresAt ?? Number.POSITIVE_INFINITY);
  }

  /**
   * Server-side end: answer with what there is (shutdown, expiry: the next request learns the
   * rest), the topics that lost events included (a reset found by the replay must reach the client
   * even when the hub closes before the answer's turn), and, from a closing hub, when to poll again.
   * An operator's `kicked` or `revoked` is the answer itself, so the client knows not to come back
   * (or to come back with a new token); what was batched is not lost, the cursor did not move.
   */
  protected farewell(reason: EndReason): void {
    if (reason === 'kicked' || reason === 'revoked') {
      const message = reason === 'kicked' ? 'disconnected by the server' : 'this token was revoked';
      this.#settle(errorAnswerOf(new TidingsError(reason, message)));
      return;
    }
    const retryMs = reason === 'shutdown' ? this.#owner.drainDelayMs() : undefined;
    this.#settle(jsonAnswer(200, this.#body(this.#lost, retryMs)));
  }

  /** The client went away while waiting (also reported after a normal answer: nothing to do then). */
  override gone(): void {
    if (this.state === 'closed') return;
    this.#settle(jsonAnswer(200, this.#body()));
  }

  #finish(answer: HubAnswer): void {
    if (this.state !== 'open') return;
    this.owner.ended(this, 'normal');
    this.#settle(answer);
  }

  #settle(answer: HubAnswer): void {
    if (this.state === 'closed') return;
    super.gone();
    this.#resolve(answer);
  }
}
