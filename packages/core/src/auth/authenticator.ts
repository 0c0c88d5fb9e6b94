import { type Clock, SYSTEM_CLOCK } from '../clock.ts';
import { type ErrorInfo, TidingsError, toTidingsError } from '../errors.ts';
import type { HubRequest } from '../hub-request.ts';
import type { ResolvedOptions } from '../options.ts';
import type { Principal, TopicAction } from '../principal.ts';
import { createJwtVerifier, type JwtVerifier } from './jwt.ts';
import type { TicketRedeemer } from './ticket-redeemer.ts';
import { extractToken } from './token.ts';

// Every anonymous client shares one principal: nothing per connection to allocate or keep.
const ANONYMOUS: Principal = Object.freeze({});

/**
 * A value, or a promise of it when the work really is asynchronous (a JWT, a ticket, an app
 * callback). Anonymous hubs and synchronous `authorize` callbacks then cost no promise per request:
 * every caller awaits inside an async function, where a synchronous throw is a rejection too.
 */
export type MaybePromise<T> = T | Promise<T>;

/** Resolves a request to a principal and checks topic permissions. */
export interface Authenticator {
  /** Origin check, then ticket, token or cookie, then principal. Throws a TidingsError (401/403) when refused. */
  authenticate(request: HubRequest, url: URL, route: string): MaybePromise<Principal>;
  /**
   * `authenticate` for a WebSocket upgrade, which may still authenticate in its first message: a
   * request that carries no credential the hub accepts resolves to undefined instead of a 401.
   */
  authenticateOrWait(request: HubRequest, url: URL, route: string): MaybePromise<Principal | undefined>;
  /** Verifies a token that came in a WebSocket `auth` message; `request` is the upgrade's (kept on `authenticate` hubs). */
  verifyToken(token: string, request: HubRequest | undefined): Promise<Principal>;
  /** Throws `forbidden`, naming every refused topic, unless the principal may act on all of them. */
  authorize(
    principal: Principal,
    topics: readonly string[],
    action: TopicAction,
    route?: string,
  ): MaybePromise<void>;
}

function checkOrigin(request: HubRequest, url: URL, options: ResolvedOptions): void {
  const origin = request.headers.get('origin');
  if (origin === null) return;
  if (options.allowedOrigins) {
    if (options.allowedOrigins.includes(origin)) return;
  } else if (!options.tokenCookie || origin === url.origin) return;
  throw new TidingsError('forbidden', 'origin not allowed');
}

const required = (): TidingsError => new TidingsError('unauthorized', 'authentication required');

/**
 * Builds the authenticator for a hub's options. An app callback that throws is reported with its
 * stage. JWT `exp` and `nbf` are checked against `clock`, the hub's.
 */
export function createAuthenticator(
  options: ResolvedOptions,
  tickets: TicketRedeemer,
  report: (error: unknown, info: ErrorInfo) => void,
  clock: Clock,
): Authenticator {
  const sources = { tokenInQuery: options.tokenInQuery, tokenCookie: options.tokenCookie };
  const failed = (error: unknown, info: ErrorInfo) => toTidingsError(error, info, options.onError);
  const verifier: JwtVerifier | undefined = options.jwt
    ? createJwtVerifier(options.jwt, {
        report: (error) => report(error, { stage: 'jwks' }),
        retryAfterMs: options.retryAfterMs,
      })
    : undefined;
  // The system clock is jose's own default: only a test hub's clock is passed along.
  const verifyJwt: JwtVerifier | undefined =
    verifier && clock !== SYSTEM_CLOCK ? (token) => verifier(token, clock.now()) : verifier;

  async function fromApp(request: HubRequest, token: string | undefined, route?: string) {
    try {
      return await options.authenticate!(request, token);
    } catch (error) {
      throw failed(error, route === undefined ? { stage: 'authenticate' } : { stage: 'authenticate', route });
    }
  }

  function resolve(
    request: HubRequest,
    url: URL,
    route: string,
    allowMissing: boolean,
  ): MaybePromise<Principal | undefined> {
    checkOrigin(request, url, options);
    const ticket = url.searchParams.get('ticket');
    if (ticket !== null) return tickets.redeem(ticket, route);
    const token = extractToken(request, url, sources);
    if (options.authenticate) {
      return fromApp(request, token, route).then((principal) => {
        if (principal) return principal;
        if (token === undefined && allowMissing) return undefined;
        throw required();
      });
    }
    if (token !== undefined && verifyJwt) return verifyJwt(token);
    // With no token scheme configured a stray Authorization header (meant for the app) is ignored.
    if (options.anonymous) return ANONYMOUS;
    if (token === undefined && allowMissing) return undefined;
    throw token === undefined ? required() : new TidingsError('unauthorized', 'invalid or expired token');
  }

  return {
    // Never undefined without allowMissing.
    authenticate: (request, url, route) => resolve(request, url, route, false) as MaybePromise<Principal>,
    authenticateOrWait: (request, url, route) => resolve(request, url, route, true),
    async verifyToken(token, request) {
      if (options.authenticate) {
        // Always kept on hubs with `authenticate` (routes/ws.ts); its absence would be a bug.
        if (!request) throw new Error('the upgrade request was not kept');
        const principal = await fromApp(request, token, 'ws');
        if (!principal) throw new TidingsError('unauthorized', 'invalid or expired token');
        return principal;
      }
      if (verifyJwt) return verifyJwt(token);
      throw new TidingsError('unauthorized', 'this server takes no tokens');
    },
    authorize(principal, topics, action, route) {
      tickets.checkScope(principal, topics);
      const decide = options.authorize;
      // The default: subscribing is allowed, publishing from a client is not.
      if (!decide) return action === 'subscribe' ? undefined : refuse(topics, [], action);
      const stage = (): ErrorInfo =>
        route === undefined ? { stage: 'authorize' } : { stage: 'authorize', route };
      // Every topic is asked, so a refused subscription names all the refused ones at once and a
      // client can come back with the rest in one more request (docs/protocol.md, "Refused topics").
      // A publish is about its one topic, which the publisher knows: it names none.
      const answers: (boolean | Promise<boolean>)[] = [];
      let waiting = false;
      for (const topic of topics) {
        let allowed: boolean | Promise<boolean>;
        try {
          allowed = decide(principal, topic, action);
        } catch (error) {
          throw failed(error, stage());
        }
        if (typeof allowed !== 'boolean') waiting = true;
        answers.push(allowed);
      }
      // Asynchronous answers are awaited together; synchronous ones decide at once.
      if (!waiting) return refuse(topics, answers as boolean[], action);
      return Promise.all(answers).then(
        (settled) => refuse(topics, settled, action),
        (error: unknown) => {
          throw failed(error, stage());
        },
      );
    },
  };
}

/** Throws `forbidden` naming the topics whose answer was no. */
function refuse(topics: readonly string[], answers: readonly unknown[], action: TopicAction): void {
  const refused = topics.filter((_, i) => !answers[i]);
  if (refused.length > 0) {
    throw new TidingsError(
      'forbidden',
      `not allowed to ${action} on ${refused.join(', ')}`,
      action === 'subscribe' ? { topics: refused } : {},
    );
  }
}
