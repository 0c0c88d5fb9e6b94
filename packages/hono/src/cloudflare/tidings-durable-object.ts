import { DurableObject } from 'cloudflare:workers';
import {
  type ConnectionTarget,
  createHub,
  type Hub,
  type HubOptions,
  type HubStats,
  type OperatorReason,
  type PresenceSnapshot,
  type PublishOptions,
} from '@tidings/core';
import {
  routeName,
  type SocketHandlers,
  type SocketPort,
  toResponse,
  upgrade,
  webSocketHandshakeError,
} from '@tidings/core/adapter';
import { byteLengthOf } from '../internal/byte-length.ts';
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
    else handlers.message('', true, byteLengthOf(data));
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
 *
 * The object is the whole cluster of its name: presence, `maxConnectionsPerUser` and the operator
 * RPCs (`disconnect`, `unsubscribe`, `revoke`) are exact within it, and objects of other names know
 * nothing of it. Revocations live in the object's memory: an evicted object forgets them, so a
 * revocation that must outlast an idle object belongs in `authenticate` too.
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
      return drainAfter(request, (r) => this.hub.handle(r, context));
    }
    const refused = webSocketHandshakeError(request);
    if (refused) return toResponse(refused);
    const decision = await upgrade(this.hub, request, context);
    if (!decision.accepted) return toResponse(decision.answer);
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

  /** RPC: the cursor to subscribe from after loading data (`hub.head()`). */
  head(): string {
    return this.hub.head();
  }

  /** RPC: who is on a topic with presence on (`hub.presence`). */
  presence(topic: string): Promise<PresenceSnapshot> {
    return this.hub.presence(topic);
  }

  /** RPC: ends connections of this object's hub (`hub.disconnect`). */
  disconnect(target: ConnectionTarget, reason?: OperatorReason): Promise<void> {
    return this.hub.disconnect(target, reason);
  }

  /** RPC: removes topics from a user's connections (`hub.unsubscribe`). */
  unsubscribe(target: { userId: string }, topics: string | string[]): Promise<void> {
    return this.hub.unsubscribe(target, topics);
  }

  /** RPC: refuses a user's current tokens until `untilMs` (`hub.revoke`); kept in memory only. */
  revoke(userId: string, untilMs: number): Promise<void> {
    return this.hub.revoke(userId, untilMs);
  }

  /** RPC: closes the hub as `hub.close()` does (later requests get 503). */
  shutdown(): Promise<void> {
    return this.hub.close();
  }
}
