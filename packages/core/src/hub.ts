import type { IssueTicketOptions } from './auth/ticket.ts';
import type { ConnectionTarget, NodeInfo, OperatorReason, PresenceSnapshot } from './cluster.ts';
import { formatEventId } from './event-id.ts';
import type { HubAnswer, HubRequest } from './hub-request.ts';
import { errorAnswer, jsonAnswer, toResponse } from './internal/http.ts';
import { HubContext } from './internal/hub-context.ts';
import { scopeIdempotencyKey } from './internal/idempotency-scope.ts';
import { checkDisconnect } from './internal/operator.ts';
import { resolveOptions, viewOptions } from './internal/resolve-options.ts';
import type { HubOptions, HubOptionsView } from './options.ts';
import type { Principal } from './principal.ts';
import { isValidIdempotencyKey, isValidTopic } from './protocol/topics.ts';
import { route } from './routes/route.ts';
import { ROUTE_NAMES, routeName } from './routes/route-name.ts';
import { decideUpgrade, type UpgradeDecision } from './routes/ws.ts';
import type { HubStats } from './stats.ts';
import type { RequestContext } from './stream-port.ts';

/**
 * The topics of an app and the data each carries, e.g. `interface Topics { notes: { text: string } }`.
 * Any object type works, an `interface` included, and the same type serves `createClient`.
 */
export type TopicMap = object;

/** Options of a server-side publish. */
export interface PublishOptions {
  /** The event name. Default `"message"`. */
  event?: string;
  /**
   * Publish inside this transaction of yours (a transactional broker only, e.g. `@tidings/postgres`
   * with a `pg` client in a transaction): the event exists, and is delivered, only if it commits.
   * A TypeError with any other broker. Default: none, the event is stored at once.
   */
  tx?: unknown;
  /**
   * An idempotency key: 1-128 characters of `A-Z a-z 0-9 . _ ~ : / -`. A publish repeating the key
   * of an earlier `hub.publish` within `idempotencyWindowMs` publishes nothing and resolves to the
   * first one's id, on every hub sharing the broker. Server code has its own keys: a client's key
   * never matches one given here. A TypeError for a malformed key, or with a broker that does not
   * support keys (`Broker.idempotent`). Default: none, every publish stores an event.
   */
  idempotencyKey?: string;
}

/** Extra facts about a request answered with `hub.handle`. */
export interface HandleContext {
  /** The peer's address, for `maxConnectionsPerIp`. Default: unknown, so that limit does not apply. */
  clientAddress?: string;
}

/** A hub: the log, the connections and every route of the protocol, framework-neutral. */
export interface Hub<T extends TopicMap = Record<string, unknown>> {
  /**
   * Publishes from server code (no authorization applies) and resolves to the event's id (with
   * `idempotencyKey`, a repeat resolves to the first publish's id and publishes nothing).
   */
  publish<K extends keyof T & string>(topic: K, data: T[K], options?: PublishOptions): Promise<string>;
  /**
   * Answers any HTTP route of the protocol with a Fetch `Response`, the route chosen by the last
   * path segment (`poll`, `long-poll`, `sse`, `publish`; `ws` needs an upgrade, see the adapters).
   * For Fetch-style servers (`Bun.serve`, `Deno.serve`, a Worker); the framework adapters call it
   * for you. Never rejects: bad input becomes its error answer.
   */
  handle(request: Request | HubRequest, context?: HandleContext): Promise<Response>;
  /**
   * Mints a connect ticket for a principal your own route has already authenticated (its session,
   * its login): an opaque string, valid once, for `ttlMs` (default 30 s), on any hub with the same
   * `tickets.secret` sharing this broker. Present it as `?ticket=` on a stream or WebSocket URL,
   * where no header can be set; the connection gets `principal` (its `id`, `claims`, `expiresAt`)
   * without `authenticate` being called. With `topics`, it opens only those. Throws a TypeError
   * when tickets are off (no `tickets.secret` nor `jwt.secret`) or the options are invalid.
   */
  issueTicket(principal: Principal, options?: IssueTicketOptions): Promise<string>;
  /** Counters and connection counts of this hub. */
  stats(): HubStats;
  /**
   * The cursor of the newest event this hub has seen. Read it before loading your data, send both
   * to the page, and subscribe from it (the client's `cursor` option): everything published after
   * the data was read arrives, nothing in between is lost.
   */
  head(): string;
  /**
   * Who is on a topic with presence on (the `presence` option), across every node: each user once,
   * sorted, and their connections in all. Throws a TypeError for a topic without presence.
   */
  presence<K extends keyof T & string>(topic: K): Promise<PresenceSnapshot>;
  /**
   * Ends connections on every node: a user's, one connection (the id its `welcome` carried), or
   * every subscriber of a topic. The client is told why: `kicked` (default: do not come back),
   * `revoked` (come back with a new token) or `unavailable` (come back later). Resolves once the
   * command is on its way to every node; each ends its connections as it arrives.
   */
  disconnect(target: ConnectionTarget, reason?: OperatorReason): Promise<void>;
  /**
   * Removes topics from a user's connections on every node; they get no more events there. A
   * WebSocket or SSE client is told (`unsubscribed`); a waiting long poll is answered. Nothing stops
   * the client from asking again: make `authorize` refuse it if it must not.
   */
  unsubscribe<K extends keyof T & string>(target: { userId: string }, topics: K | K[]): Promise<void>;
  /**
   * Revokes a user's tokens on every node: tokens issued until now (by their `iat` claim; tokens
   * without one too) are refused (`401 revoked`) until `untilMs` (ms since the epoch, e.g. when the
   * longest-lived of them expires), and the user's open connections end with `revoked`. A token
   * issued after this call lets the user back in.
   */
  revoke(userId: string, untilMs: number): Promise<void>;
  /** The live nodes of this hub's cluster (the hubs sharing its broker), with their connections. */
  nodes(): Promise<NodeInfo[]>;
  /** This hub's id in its cluster: the `node` label of its metrics. */
  readonly nodeId: string;
  /**
   * Stops new connections (503, and the readiness route fails), ends every open one as the protocol
   * says, each told its own reconnect delay below `drainSpreadMs`, and resolves when all are gone or,
   * at the latest, after `drainTimeoutMs`, dropping what is left (a WebSocket whose peer stopped
   * reading is terminated). Then only the server's own connections remain: close them too (see
   * `serve()` of `@tidings/node`, or docs/deploying.md).
   */
  close(): Promise<void>;
  /**
   * True while the hub takes new connections; false from the moment `close()` is called (the hub is
   * draining). What `GET {path}/ready` answers, for a load balancer's readiness probe.
   */
  readonly ready: boolean;
  /** The options in force, defaults applied; secrets (the JWT and ticket secrets) are left out. */
  readonly options: HubOptionsView;
}

/**
 * A hub of any topic map, for code that takes a hub without publishing through its types
 * (adapters, helpers): `Hub<Topics>` and `Hub` are both assignable to it.
 */
// biome-ignore lint/suspicious/noExplicitAny: any topic map; `object` would make publish's parameters unassignable.
export type AnyHub = Hub<any>;

/**
 * What adapters reach through `@tidings/core/adapter`; kept off the app-facing `Hub` type. An
 * object that stands for a hub (the test hub of `@tidings/testing`, which replaces its hub on
 * restart) keeps its own under ADAPTER_HOOKS and forwards them.
 */
export interface HubAdapterHooks {
  /** See `respond` in `@tidings/core/adapter`: `context.stream` is required for SSE. */
  respond(request: HubRequest, context: RequestContext): Promise<HubAnswer | undefined>;
  upgrade(request: HubRequest, context: RequestContext): Promise<UpgradeDecision>;
  misconfigured(message: string): HubAnswer;
  /** How many connections of this hub are subscribed to `topic` now. */
  subscribers(topic: string): number;
}

/**
 * Where a hub keeps its adapter hooks. `Symbol.for`, so an adapter built against another copy of
 * this package still finds them, and the hooks are the hub's own functions, so two copies never mix
 * their internals.
 */
export const ADAPTER_HOOKS: unique symbol = Symbol.for('tidings.hub.adapter-hooks') as never;

/**
 * Creates a hub. Invalid options throw a TypeError here, not at the first request.
 *
 * @example
 * const hub = createHub({ anonymous: true });
 * await hub.publish('notes', { text: 'hello' });
 */
export function createHub<T extends TopicMap = Record<string, unknown>>(options: HubOptions): Hub<T> {
  const ctx = new HubContext(resolveOptions(options));
  const reported = new Set<string>();
  const hooks: HubAdapterHooks = {
    async respond(request, context) {
      try {
        // With a stream port the SSE route writes through it and returns nothing; without one it
        // would return a streaming Response, which plain data cannot carry: the adapter's mistake.
        const answer = await route(ctx, request, context);
        if (answer instanceof Response) throw new Error('respond() needs context.stream for SSE');
        return answer;
      } catch (error) {
        return errorAnswer(error, routeOf(request), ctx.options.onError);
      }
    },
    upgrade: (request, context) => decideUpgrade(ctx, request, context),
    subscribers: (topic) => ctx.registry.byTopic.get(topic)?.size ?? 0,
    misconfigured(message) {
      // Once per message: a mistake in setup is worth one loud line, not one per request.
      if (!reported.has(message)) {
        reported.add(message);
        const error = new Error(message);
        if (ctx.options.onError) ctx.report(error, { stage: 'mount' });
        else console.error(`tidings: ${message}`);
      }
      return jsonAnswer(500, JSON.stringify({ error: { code: 'misconfigured', message } }));
    },
  };
  return {
    [ADAPTER_HOOKS]: hooks,
    options: viewOptions(ctx.options),
    async publish(topic, data, publishOptions) {
      const key = publishOptions?.idempotencyKey;
      if (key !== undefined && !isValidIdempotencyKey(key)) {
        throw new TypeError('idempotencyKey must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ : / -');
      }
      const scoped = key === undefined ? undefined : scopeIdempotencyKey(undefined, key);
      const result = await ctx.publish(
        topic,
        data,
        publishOptions?.event,
        undefined,
        publishOptions?.tx,
        scoped,
      );
      return result.id;
    },
    async handle(request, context = {}) {
      let answer: HubAnswer | Response | undefined;
      try {
        answer = await route(ctx, request, context);
      } catch (error) {
        answer = errorAnswer(error, routeOf(request), ctx.options.onError);
      }
      // Without a stream port the SSE route always returns its Response.
      return answer instanceof Response ? answer : toResponse(answer as HubAnswer);
    },
    issueTicket: (principal, ticketOptions) => ctx.tickets.issue(principal, ticketOptions),
    stats: () => ctx.stats(),
    head() {
      const head = ctx.head();
      return formatEventId(head.epoch, head.seq);
    },
    async presence(topic) {
      if (!isValidTopic(topic)) throw new TypeError(`invalid topic ${topic}`);
      if (!ctx.options.presence?.(topic)) throw new TypeError(`presence is off for topic ${topic}`);
      return ctx.operator.cluster.with((node) => node.members(topic));
    },
    async disconnect(target, reason = 'kicked') {
      checkDisconnect(target, reason);
      await ctx.operator.command({ type: 'disconnect', target, reason });
    },
    async unsubscribe(target, topics) {
      const list = typeof topics === 'string' ? [topics] : [...topics];
      if (typeof target?.userId !== 'string' || target.userId === '') {
        throw new TypeError('unsubscribe takes { userId }');
      }
      if (list.length === 0 || !list.every(isValidTopic)) throw new TypeError('invalid topics');
      await ctx.operator.command({ type: 'unsubscribe', userId: target.userId, topics: list });
    },
    async revoke(userId, untilMs) {
      if (typeof userId !== 'string' || userId === '')
        throw new TypeError('userId must be a non-empty string');
      const atMs = Date.now();
      if (!Number.isSafeInteger(untilMs) || untilMs <= atMs) {
        throw new TypeError(`untilMs must be a time in ms since the epoch, after now; got ${untilMs}`);
      }
      await ctx.operator.command({ type: 'revoke', userId, atMs, untilMs });
    },
    async nodes() {
      return ctx.operator.cluster.with((node) => node.nodes());
    },
    nodeId: ctx.operator.nodeId,
    close: () => ctx.close(),
    get ready() {
      return !ctx.draining;
    },
  } as Hub<T>;
}

function routeOf(request: HubRequest): string | undefined {
  try {
    const name = routeName(new URL(request.url).pathname);
    return ROUTE_NAMES.has(name) ? name : undefined;
  } catch {
    return undefined;
  }
}
