/**
 * `@tidings/hono`: the hub's routes as Hono middleware, for any runtime Hono runs on. WebSockets use
 * the runtime's own `upgradeWebSocket`, passed in, so this file imports nothing runtime-specific.
 */
import type { AnyHub, HandleContext } from '@tidings/core';
import {
  matchRoute,
  misconfigured,
  resolvePath,
  toResponse,
  upgrade,
  webSocketHandshakeError,
} from '@tidings/core/adapter';
import type { Context, MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { mountPrefix } from './internal/mount-prefix.ts';
import { createWsEvents } from './internal/ws-events.ts';

/** Options of `tidings()`. */
export interface TidingsHonoOptions {
  /** The path the routes live under, as the client sees it: `{path}/poll`, `/long-poll`, `/sse`, `/publish`, `/ws`. Default `/realtime`. */
  path?: string;
  /**
   * The runtime's WebSocket helper: `upgradeWebSocket` from `hono/bun`, `hono/deno` or
   * `@hono/node-server`. Default: none, and `GET {path}/ws` answers 400 (a WebSocket upgrade is
   * required). On Node prefer `@tidings/hono/node`'s `attach`; on Workers, `@tidings/hono/cloudflare`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: each runtime's helper has its own socket and option types.
  upgradeWebSocket?: UpgradeWebSocket<any, any>;
  /**
   * The peer's address, for `maxConnectionsPerIp`, e.g. `(c) => getConnInfo(c).remote.address`
   * with `getConnInfo` from `hono/bun`, `hono/deno` or `@hono/node-server/conninfo`. Default: none,
   * so that limit does not apply.
   */
  clientAddress?: (c: Context) => string | undefined;
}

/** Bun's Server, as far as used here. */
interface IdleTimeoutServer {
  timeout?(request: Request, seconds: number): void;
}

// Bun closes a connection idle for its `idleTimeout` (10 s by default), and an SSE stream or a long
// poll is idle by design between events: lift the limit for that one request, where the runtime
// offers it (Hono passes Bun's Server as `c.env`, or as `c.env.server`).
function liftIdleTimeout(c: Context): void {
  const env = c.env as (IdleTimeoutServer & { server?: IdleTimeoutServer }) | undefined;
  const server = env?.server ?? env;
  if (typeof server?.timeout === 'function') server.timeout(c.req.raw, 0);
}

const FIX = 'use app.use(realtime) at the root, or give tidings(hub, { path }) a path under that mount';

/**
 * The hub's routes as Hono middleware:
 *
 * ```ts
 * import { upgradeWebSocket } from 'hono/bun';
 * app.use(tidings(hub, { upgradeWebSocket })); // routes under /realtime
 * ```
 *
 * It answers exactly `{path}/poll|long-poll|sse|publish|ws|ready` and hands every other request to
 * `next()`, so the app's own `/api/orders/publish` stays the app's. Mounted under a prefix
 * (`app.use('/api/*', …)`) the prefix must lead to `path`; one that cannot gets a 500
 * `misconfigured` answer naming both. `ws` asks the hub first, so auth, origin and limit refusals
 * are real HTTP answers, then upgrades through the runtime's helper.
 */
export function tidings(hub: AnyHub, options: TidingsHonoOptions = {}): MiddlewareHandler {
  const path = resolvePath(options.path ?? '/realtime');
  const { upgradeWebSocket, clientAddress } = options;
  const contextOf = (c: Context): HandleContext => {
    const address = clientAddress?.(c);
    return address === undefined ? {} : { clientAddress: address };
  };
  return async (c, next) => {
    const route = matchRoute(path, c.req.path, mountPrefix(c));
    if (route === undefined) return next();
    if (route === 'misconfigured') return toResponse(misconfigured(hub, path, mountPrefix(c), FIX));
    if (route === 'sse' || route === 'long-poll') liftIdleTimeout(c);
    if (route !== 'ws' || !upgradeWebSocket || c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      return hub.handle(c.req.raw, contextOf(c));
    }
    const refused = webSocketHandshakeError(c.req.raw);
    if (refused) return toResponse(refused);
    const decision = await upgrade(hub, c.req.raw, contextOf(c));
    if (!decision.accepted) return toResponse(decision.answer);
    const events = createWsEvents(decision);
    let upgraded: Response | undefined;
    try {
      // The middleware form calls `next` instead of throwing when the runtime declines the upgrade.
      upgraded = (await upgradeWebSocket(() => events)(c, async () => {})) ?? undefined;
    } finally {
      if (!upgraded) decision.abort();
    }
    return (
      upgraded ?? c.json({ error: { code: 'bad_request', message: 'the WebSocket upgrade failed' } }, 400)
    );
  };
}
