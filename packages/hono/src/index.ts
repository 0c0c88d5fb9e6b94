/**
 * `@tidings/hono`: the hub's routes as a Hono sub-app, for any runtime Hono runs on. WebSockets use
 * the runtime's own `upgradeWebSocket`, passed in, so this file imports nothing runtime-specific.
 */
import { type Hub, type RequestContext, type StreamPort, webSocketHandshakeError } from '@tidings/core';
import { type Context, Hono } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { createWsEvents } from './internal/ws-events.ts';

/** A direct SSE writer for one request, and what the handler returns once the answer went through it. */
export interface DirectStream {
  port: StreamPort;
  /** Returned to Hono after the stream was written directly, e.g. `RESPONSE_ALREADY_SENT` on Node. */
  response: Response;
}

/** Options of `tidings()`. */
export interface TidingsHonoOptions {
  /**
   * The runtime's WebSocket helper: `upgradeWebSocket` from `hono/bun`, `hono/deno` or
   * `@hono/node-server`. Default: none, and `GET {base}/ws` answers 400 (a WebSocket upgrade is
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
  /**
   * A direct writer for SSE answers on this request, or undefined for the portable web stream.
   * `@tidings/hono/node` sets it to write to Node's ServerResponse. Default: none.
   */
  directStream?: (c: Context) => DirectStream | undefined;
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

/**
 * The hub's routes as a Hono app, to mount under a base path:
 *
 * ```ts
 * import { upgradeWebSocket } from 'hono/bun';
 * app.route('/realtime', tidings(hub, { upgradeWebSocket }));
 * ```
 *
 * `poll`, `long-poll`, `sse` and `publish` are answered by `hub.handle`. `ws` asks `hub.upgrade`
 * first, so auth, origin and limit refusals are real HTTP answers, then upgrades through the
 * runtime's helper and bridges the socket to the hub.
 */
export function tidings(hub: Hub, options: TidingsHonoOptions = {}): Hono {
  const { upgradeWebSocket, clientAddress, directStream } = options;
  const contextOf = (c: Context): RequestContext => {
    const address = clientAddress?.(c);
    return address === undefined ? {} : { clientAddress: address };
  };
  const app = new Hono();
  const answer = async (c: Context) => (await hub.handle(c.req.raw, contextOf(c))) ?? c.notFound();
  app.all('/poll', answer);
  app.all('/publish', answer);
  app.all('/long-poll', (c) => {
    liftIdleTimeout(c);
    return answer(c);
  });
  app.all('/sse', async (c) => {
    liftIdleTimeout(c);
    const direct = directStream?.(c);
    if (!direct) return answer(c);
    const context = contextOf(c);
    context.stream = direct.port;
    return (await hub.handle(c.req.raw, context)) ?? direct.response;
  });
  app.all('/ws', async (c) => {
    if (!upgradeWebSocket || c.req.header('upgrade')?.toLowerCase() !== 'websocket') return answer(c);
    const refused = webSocketHandshakeError(c.req.raw);
    if (refused) return refused;
    const decision = await hub.upgrade(c.req.raw, contextOf(c));
    if (!decision.accepted) return decision.response;
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
  });
  return app;
}
