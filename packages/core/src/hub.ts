import { TidingsError } from './errors.ts';
import type { HubAnswer, HubRequest } from './hub-request.ts';
import { errorAnswer, requestUrl, toResponse } from './internal/http.ts';
import { HubContext } from './internal/hub-context.ts';
import { type HubOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { handleLongPoll } from './routes/long-poll.ts';
import { handlePoll } from './routes/poll.ts';
import { handlePublish } from './routes/publish.ts';
import { ROUTE_NAMES, routeName } from './routes/route-name.ts';
import { handleSse } from './routes/sse.ts';
import { decideUpgrade, type UpgradeDecision } from './routes/ws.ts';
import type { HubStats } from './stats.ts';
import type { RequestContext, StreamPort } from './stream-port.ts';

/** An optional map from topic name to payload type, e.g. `{ notes: { text: string } }`. */
export type TopicMap = Record<string, unknown>;

/** What a topic map may be: any object type, so both `type` aliases and `interface`s work. */
type AnyTopicMap = object;

/** Options of a server-side publish. */
export interface PublishOptions {
  /** The event name. Default `"message"`. */
  event?: string;
}

/** A hub: the log, the connections and every route of the protocol, framework-neutral. */
export interface Hub<T extends AnyTopicMap = TopicMap> {
  /** Publishes from server code (no authorization applies) and resolves to the event's id. */
  publish<K extends keyof T & string>(topic: K, data: T[K], options?: PublishOptions): Promise<string>;
  /**
   * Answers any HTTP route of the protocol, chosen by the last path segment (`poll`, `long-poll`,
   * `sse`, `publish`; `ws` needs an upgrade). Never rejects: bad input becomes its error answer.
   * Resolves to `undefined` only when `context.stream` was given and the SSE answer went through it.
   */
  handle(request: HubRequest, context?: RequestContext): Promise<Response | undefined>;
  /**
   * `handle` for bridges that write answers themselves (the Node bridge): the same routes, but a
   * finished answer comes back as plain data, and SSE goes through `context.stream`, which is
   * therefore required. Resolves to `undefined` when the answer went through the stream.
   */
  respond(
    request: HubRequest,
    context: RequestContext & { stream: StreamPort },
  ): Promise<HubAnswer | undefined>;
  /** Decides a WebSocket upgrade before it happens; see UpgradeDecision. */
  upgrade(request: HubRequest, context?: RequestContext): Promise<UpgradeDecision>;
  /** Counters and connection counts. */
  stats(): HubStats;
  /** Stops new connections (503), ends every open one as the protocol says, and resolves when all are gone or the drain timeout passes. */
  close(): Promise<void>;
  /** The options in force, defaults applied. */
  readonly options: Readonly<ResolvedOptions>;
}

async function route(
  ctx: HubContext,
  request: HubRequest,
  context: RequestContext,
): Promise<HubAnswer | Response | undefined> {
  const url = requestUrl(request);
  const name = routeName(url.pathname);
  if (!ROUTE_NAMES.has(name)) throw new TidingsError('not_found', 'no such route');
  if (ctx.draining) throw new TidingsError('unavailable', 'server is shutting down', ctx.options.retryAfterS);
  const method = request.method;
  if (name === 'publish') {
    if (method !== 'POST') throw new TidingsError('method_not_allowed', 'use POST');
    return handlePublish(ctx, request, url, context);
  }
  if (method !== 'GET' && method !== 'HEAD') throw new TidingsError('method_not_allowed', 'use GET');
  if (name === 'poll') return handlePoll(ctx, request, url);
  if (name === 'long-poll') return handleLongPoll(ctx, request, url, context);
  if (name === 'sse') return handleSse(ctx, request, url, context);
  throw new TidingsError('bad_request', 'a WebSocket upgrade is required');
}

/**
 * Creates a hub. Invalid options throw a TypeError here, not at the first request.
 *
 * @example
 * const hub = createHub({ anonymous: true });
 * await hub.publish('notes', { text: 'hello' });
 */
export function createHub<T extends AnyTopicMap = TopicMap>(options: HubOptions): Hub<T> {
  const ctx = new HubContext(resolveOptions(options));
  return {
    options: ctx.options,
    async publish(topic, data, publishOptions) {
      const record = await ctx.publish(topic, data, publishOptions?.event);
      return record.id;
    },
    async handle(request, context = {}) {
      let answer: HubAnswer | Response | undefined;
      try {
        answer = await route(ctx, request, context);
      } catch (error) {
        answer = errorAnswer(error, ctx.options.onError);
      }
      // A HubAnswer's body is text; a Response's (the SSE stream) is not.
      return answer !== undefined && typeof answer.body === 'string'
        ? toResponse(answer as HubAnswer)
        : (answer as Response | undefined);
    },
    async respond(request, context) {
      try {
        // With a stream port the SSE route writes through it and returns nothing, so no Response appears.
        return (await route(ctx, request, context)) as HubAnswer | undefined;
      } catch (error) {
        return errorAnswer(error, ctx.options.onError);
      }
    },
    upgrade: (request, context) => decideUpgrade(ctx, request, context),
    stats: () => ctx.stats(),
    close: () => ctx.close(),
  };
}
