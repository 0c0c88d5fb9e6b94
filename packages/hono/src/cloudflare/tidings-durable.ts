import type { HubStats, PublishOptions } from '@tidings/core';
import { type Context, Hono } from 'hono';
import type { DurableObjectNamespaceLike } from './workers-types.ts';

/** The default name of the one object that hosts the hub. */
export const DEFAULT_HUB_NAME = 'default';

/** What a Worker can call on the hub's Durable Object (its RPC methods and `fetch`). */
export interface HubObjectStub {
  fetch(request: Request): Promise<Response>;
  /** Publishes from server code and resolves to the event id. */
  publish(topic: string, data: unknown, options?: PublishOptions): Promise<string>;
  stats(): Promise<HubStats>;
  /** Closes the hub (draining every connection); later requests get 503. */
  shutdown(): Promise<void>;
}

/** Options of `tidingsDurable`. */
export interface TidingsDurableOptions {
  /** The name of the Durable Object namespace binding in `c.env`. Default `TIDINGS`. */
  binding?: string;
  /**
   * Which object serves a request: one hub per name. Default: every request goes to the object
   * named `default`, so a publish anywhere reaches every subscriber. Return e.g. a tenant or room
   * id to shard by it; subscribers and publishers then meet only within one name.
   */
  name?: (c: Context) => string;
}

/** The stub of the object that hosts hub `name` in `namespace`, for server-side publishing. */
export function hubObject(
  namespace: DurableObjectNamespaceLike,
  name: string = DEFAULT_HUB_NAME,
): HubObjectStub {
  return namespace.get(namespace.idFromName(name) as never) as HubObjectStub;
}

/**
 * The Worker side: a Hono sub-app that forwards each realtime route to the Durable Object
 * hosting the hub (see `TidingsDurableObject`), WebSocket upgrades included.
 *
 * ```ts
 * app.route('/realtime', tidingsDurable({ binding: 'TIDINGS' }));
 * ```
 */
export function tidingsDurable(options: TidingsDurableOptions = {}): Hono {
  const binding = options.binding ?? 'TIDINGS';
  const nameOf = options.name ?? (() => DEFAULT_HUB_NAME);
  const app = new Hono();
  app.all('/:route{poll|long-poll|sse|publish|ws}', (c) => {
    const namespace = (c.env as Record<string, DurableObjectNamespaceLike> | undefined)?.[binding];
    if (!namespace) throw new TypeError(`no Durable Object binding named ${binding} in the Worker's env`);
    return hubObject(namespace, nameOf(c)).fetch(c.req.raw);
  });
  return app;
}
