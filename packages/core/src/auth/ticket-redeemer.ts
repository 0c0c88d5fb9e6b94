import { TidingsError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import { isValidTopic } from '../protocol/topics.ts';
import { createTicketSealer, type IssueTicketOptions } from './ticket.ts';

// A claim outlives its ticket by this much, so a node whose clock runs behind the issuer's still
// finds the ticket used rather than unused.
const CLOCK_SKEW_MS = 60_000;

/** Issues tickets, redeems them once, and holds what topics a ticket's principal is limited to. */
export interface TicketRedeemer {
  issue(principal: Principal, options?: IssueTicketOptions): Promise<string>;
  /** Opens and claims a ticket; throws `unauthorized` if it is forged, expired or already used. */
  redeem(ticket: string, route: string): Promise<Principal>;
  /** Throws `forbidden` when the principal came from a ticket that does not cover every topic. */
  checkScope(principal: Principal, topics: readonly string[]): void;
}

/** What redeeming needs from the hub. */
export interface TicketSetup {
  /** The shared secret, or undefined when tickets are off. */
  secret: string | Uint8Array | undefined;
  ttlMs: number;
  maxTtlMs: number;
  maxTopics: number;
  /** The broker's claim, or undefined when it has none. */
  claimOnce: ((key: string, ttlMs: number) => boolean | Promise<boolean>) | undefined;
  /** A claim that failed (the broker is down): the 503 to answer with. */
  claimFailed(error: unknown, route: string): TidingsError;
}

/** Creates the hub's ticket desk. */
export function createTicketRedeemer(setup: TicketSetup): TicketRedeemer {
  const sealer = setup.secret === undefined ? undefined : createTicketSealer(setup.secret);
  // The topics a ticket allows, per principal it produced; a WeakMap, so it goes with the connection.
  const scopes = new WeakMap<Principal, readonly string[]>();
  return {
    async issue(principal, options = {}) {
      if (!sealer) {
        throw new TypeError('tickets need a shared secret: set tickets.secret (or use jwt.secret)');
      }
      if (!setup.claimOnce) {
        throw new TypeError('this broker has no claimOnce, so a ticket could not be single-use');
      }
      if (typeof principal !== 'object' || principal === null)
        throw new TypeError('principal must be an object');
      const ttlMs = options.ttlMs ?? setup.ttlMs;
      if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > setup.maxTtlMs) {
        throw new TypeError(
          `ttlMs must be a positive integer of at most ${setup.maxTtlMs} (tickets.maxTtlMs)`,
        );
      }
      const { topics } = options;
      if (topics !== undefined) {
        if (!Array.isArray(topics) || topics.length === 0 || topics.length > setup.maxTopics) {
          throw new TypeError(`topics must list 1 to ${setup.maxTopics} topics`);
        }
        for (const topic of topics) if (!isValidTopic(topic)) throw new TypeError('invalid topic name');
      }
      return sealer.seal(principal, topics && [...new Set(topics)], Date.now() + ttlMs);
    },
    async redeem(ticket, route) {
      if (!sealer || !setup.claimOnce)
        throw new TidingsError('unauthorized', 'invalid, used or expired ticket');
      const now = Date.now();
      const opened = await sealer.open(ticket, now);
      let first: boolean;
      try {
        first = await setup.claimOnce(`ticket:${opened.nonce}`, opened.expiresAtMs - now + CLOCK_SKEW_MS);
      } catch (error) {
        throw setup.claimFailed(error, route);
      }
      if (!first) throw new TidingsError('unauthorized', 'invalid, used or expired ticket');
      if (opened.topics) scopes.set(opened.principal, opened.topics);
      return opened.principal;
    },
    checkScope(principal, topics) {
      const scope = scopes.get(principal);
      if (!scope) return;
      for (const topic of topics) {
        if (!scope.includes(topic))
          throw new TidingsError('forbidden', 'the ticket does not cover this topic');
      }
    },
  };
}
