import type {
  ConnectionTarget,
  HubStats,
  OperatorReason,
  PresenceSnapshot,
  PublishOptions,
} from '@tidings/core';
import { matchRoute, ROUTE_NAMES, type RouteName, resolvePath } from '@tidings/core/adapter';
import type { Context, MiddlewareHandler } from 'hono';
import { mountPrefix } from '../internal/mount-prefix.ts';
import type { DurableObjectNamespaceLike } from './workers-types.ts';

/** The default name of the one object that hosts the hub. */
export const DEFAULT_HUB_NAME = 'default';

/** What a Worker can call on the hub's Durable Object (its RPC methods and `fetch`). */
export interface HubObjectStub {
  fetch(request: Request): Promise<Response>;
  /** Publishes from server code and resolves to the event id. */
  publish(topic: string, data: unknown, options?: PublishOptions): Promise<string>;
  stats(): Promise<HubStats>;
  /** The cursor to subscribe from after loading data, as `hub.head()`. */
  head(): Promise<string>;
  /** Who is on a topic with presence on, as `hub.presence`. */
  presence(topic: string): Promise<PresenceSnapshot>;
  /** Ends connections, as `hub.disconnect`. */
  disconnect(target: ConnectionTarget, reason?: OperatorReason): Promise<void>;
  /** Removes topics from a user's connections, as `hub.unsubscribe`. */
  unsubscribe(target: { userId: string }, topics: string | string[]): Promise<void>;
  /** Refuses a user's current tokens until `untilMs`, as `hub.revoke` (in the object's memory only). */
  revoke(userId: string, untilMs: number): Promise<void>;
  /** Closes the hub (draining every connection); later requests get 503. */
  shutdown(): Promise<void>;
}

/** Options of `tidingsDurable`. */
export interface TidingsDurableOptions {
  /** The path the routes live under, as the client sees it. Default `/realtime`. */
  path?: string;
  /** The name of the Durable Object namespace binding in `c.env`. Default `TIDINGS`. */
  binding?: string;
  /**
   * Which object serves a request: one hub per name. Default: every request goes to the object
   * named `default`, so a publish anywhere reaches every subscriber. Return e.g. a tenant or room
   * id to shard by it; subscribers and publishers then meet only within one name. `params` holds the
   * values of the path's `:name` segments.
   */
  name?: (c: Context, params: Readonly<Record<string, string>>) => string;
}

/** The stub of the object that hosts hub `name` in `namespace`, for server-side publishing. */
export function hubObject(
  namespace: DurableObjectNamespaceLike,
  name: string = DEFAULT_HUB_NAME,
): HubObjectStub {
  return namespace.get(namespace.idFromName(name) as never) as HubObjectStub;
}

const FIX = 'use app.use(tidingsDurable(…)) at the root, or give it a path under that mount';
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Matches a path with `:name` segments (each one whole, non-empty segment) against a request's
 * pathname, as `matchRoute` does for a literal path: the route and the segments' values.
 */
function matchWithParams(
  pattern: string[],
  pathname: string,
): { route: RouteName; params: Record<string, string> } | undefined {
  const parts = pathname.split('/');
  if (parts.at(-1) === '') parts.pop();
  if (parts.length !== pattern.length + 1 || !ROUTE_NAMES.has(parts.at(-1)!)) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    if (want.startsWith(':')) {
      if (parts[i] === '') return undefined;
      params[want.slice(1)] = decodeURIComponent(parts[i]!);
    } else if (want !== parts[i]) return undefined;
  }
  return { route: parts.at(-1) as RouteName, params };
}

/**
 * The Worker side: Hono middleware that forwards each realtime route under `path` to the Durable
 * Object hosting the hub (see `TidingsDurableObject`), WebSocket upgrades included; every other
 * request goes on to `next()`.
 *
 * ```ts
 * app.use(tidingsDurable({ binding: 'TIDINGS' })); // routes under /realtime
 * ```
 *
 * A path with `:name` segments shards by them, e.g. `path: '/rooms/:room/realtime'` with
 * `name: (c, { room }) => room`.
 */
export function tidingsDurable(options: TidingsDurableOptions = {}): MiddlewareHandler {
  const binding = options.binding ?? 'TIDINGS';
  const nameOf = options.name ?? (() => DEFAULT_HUB_NAME);
  const path = resolvePath(options.path ?? '/realtime');
  const pattern = path.includes('/:') ? path.split('/') : undefined;
  return async (c, next) => {
    let params = NO_PARAMS;
    let route: RouteName | 'misconfigured' | undefined;
    if (pattern) {
      const found = matchWithParams(pattern, c.req.path);
      route = found?.route;
      if (found) params = found.params;
    } else route = matchRoute(path, c.req.path, mountPrefix(c));
    if (route === undefined) return next();
    const namespace = (c.env as Record<string, DurableObjectNamespaceLike> | undefined)?.[binding];
    if (route === 'misconfigured' || !namespace) {
      // Without the object there is no hub to report through: say it in the answer and the log.
      const message =
        route === 'misconfigured'
          ? `tidings is mounted at "${mountPrefix(c)}" but its path is "${path}": ${FIX}`
          : `no Durable Object binding named ${binding} in the Worker's env`;
      console.error(`tidings: ${message}`);
      return c.json({ error: { code: 'misconfigured', message } }, 500);
    }
    return hubObject(namespace, nameOf(c, params)).fetch(c.req.raw);
  };
}
