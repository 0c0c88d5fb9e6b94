import { DurableObject } from 'cloudflare:workers';
import {
  createHub,
  type Hub,
  type HubOptions,
  type HubStats,
  type PublishOptions,
  routeName,
  type SocketHandlers,
  type SocketPort,
  webSocketHandshakeError,
} from '@tidings/core';
import { drainAfter } from './drain-after.ts';
import type { WorkersWebSocket } from './workers-types.ts';

const OPEN = 1;

function portOf(ws: WorkersWebSocket): SocketPort {
  return {
    send(text) {
      if (ws.readyState === OPEN) ws.send(text);
    },
    close(code, reason) {
      if (ws.readyState === OPEN) ws.close(code, reason);
    },
    // A Workers socket does not report its queue, so slow consumers cannot be told apart here.
    bufferedAmount: () => 0,
  };
}

/** Wires an accepted socket's events to the hub, reporting its end once. */
function bridge(ws: WorkersWebSocket, handlers: SocketHandlers): void {
  let ended = false;
  const closed = () => {
    if (ended) return;
    ended = true;
    handlers.closed();
  };
  ws.addEventListener('message', (event) => {
    const data = (event as MessageEvent).data;
    if (typeof data === 'string') handlers.message(data);
    else handlers.message('', true);
  });
  ws.addEventListener('close', closed);
  ws.addEventListener('error', closed);
}

/**
 * A Durable Object that hosts one hub. In workerd an in-memory hub cannot fan out across requests
 * (a stream belongs to the request that opened it), so every realtime request of a namespace is
 * forwarded to one object, where publish and subscribers share one I/O context.
 *
 * Extend it and say how to build the hub from your bindings:
 *
 * ```ts
 * export class RealtimeHub extends TidingsDurableObject<Env> {
 *   protected hubOptions(env: Env): HubOptions {
 *     return { jwt: { secret: env.JWT_SECRET } };
 *   }
 * }
 * ```
 *
 * WebSockets are accepted with `accept()`, not the hibernation API. The hub's heartbeat timer runs
 * while it has connections, which keeps the object in memory (and with it each connection's
 * topics, cursor and limit slots), so hibernation could not engage anyway; and in workerd a
 * `close()` on a hibernatable socket made outside that socket's own event (a timer: token expiry,
 * heartbeat; another request: shutdown) reached the client only about ten seconds later. The
 * object goes idle, and may be evicted, once the hub has no connections.
 */
export abstract class TidingsDurableObject<Env = unknown> extends DurableObject<Env> {
  #hub: Hub | undefined;

  /** The hub's options, built from the object's bindings. Called once, on the first request. */
  protected abstract hubOptions(env: Env): HubOptions;

  /**
   * The peer's address, for `maxConnectionsPerIp`. Default: the `CF-Connecting-IP` header, which
   * Cloudflare's edge sets (and overwrites when a client sends it).
   */
  protected clientAddress(request: Request): string | undefined {
    return request.headers.get('cf-connecting-ip') ?? undefined;
  }

  /** The hub, created on first use. */
  protected get hub(): Hub {
    this.#hub ??= createHub(this.hubOptions(this.env));
    return this.#hub;
  }

  /** Answers a realtime request forwarded by the Worker (see `tidingsDurable`). */
  async fetch(request: Request): Promise<Response> {
    const address = this.clientAddress(request);
    const context = address === undefined ? {} : { clientAddress: address };
    const isUpgrade = request.headers.get('upgrade')?.toLowerCase() === 'websocket';
    if (!isUpgrade || routeName(new URL(request.url).pathname) !== 'ws') {
      return drainAfter(request, async (r) => (await this.hub.handle(r, context)) as Response);
    }
    const refused = webSocketHandshakeError(request);
    if (refused) return refused;
    const decision = await this.hub.upgrade(request, context);
    if (!decision.accepted) return decision.response;
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    server.accept();
    bridge(server, decision.accept(portOf(server)));
    return new Response(null, { status: 101, webSocket: client } as ResponseInit);
  }

  /** RPC: publishes from server code (no authorization applies) and resolves to the event id. */
  publish(topic: string, data: unknown, options?: PublishOptions): Promise<string> {
    return this.hub.publish(topic, data, options);
  }

  /** RPC: the hub's counters. */
  stats(): HubStats {
    return this.hub.stats();
  }

  /** RPC: closes the hub as `hub.close()` does (later requests get 503). */
  shutdown(): Promise<void> {
    return this.hub.close();
  }
}
