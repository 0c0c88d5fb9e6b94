import {
  createHub,
  type Hub,
  type HubOptions,
  type HubStats,
  type PublishOptions,
  routeName,
  type SocketHandlers,
  type SocketPort,
} from '@tidings/core';
import { DurableObject } from 'cloudflare:workers';
import type { DurableObjectStateLike, WorkersWebSocket } from './workers-types.ts';

// RFC 6455 has no "come back" code; 1012 (service restart, IANA registry) says the server restarted.
const SERVICE_RESTART = 1012;
const OPEN = 1;

// Workers cannot send protocol ping frames, so the hub heartbeats with `{"type":"ping"}`; a
// client's own text ping is answered by the runtime without running (or waking) the object.
const CLIENT_PING = '{"type":"ping"}';
const SERVER_PONG = '{"type":"pong"}';

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

/**
 * A Durable Object that hosts one hub. In workerd an in-memory hub cannot fan out across requests
 * (a stream belongs to the request that opened it), so every realtime request of a namespace is
 * forwarded to one object, where publish and subscribers share one I/O context.
 *
 * Extend it and say how to build the hub from your bindings:
 *
 * ```ts
 * export class RealtimeHub extends TidingsDurableObject<Env> {
 *   hubOptions(env: Env): HubOptions {
 *     return { jwt: { secret: env.JWT_SECRET } };
 *   }
 * }
 * ```
 *
 * WebSockets use the hibernation API (`acceptWebSocket`, `webSocketMessage`, `webSocketClose`).
 * The hub's heartbeat timer runs while it has connections, which keeps the object in memory and
 * with it each connection's topics, cursor and limit slots; the object hibernates only when idle.
 * If the runtime evicts it anyway, sockets that survive have lost that state: they are closed with
 * 1012 and the client resumes from its cursor.
 */
export abstract class TidingsDurableObject<Env = unknown> extends DurableObject<Env> {
  #hub: Hub | undefined;
  readonly #sockets = new Map<string, SocketHandlers>();
  #nextSocket = 0;

  constructor(ctx: DurableObjectStateLike, env: Env) {
    super(ctx, env);
    for (const ws of ctx.getWebSockets()) ws.close(SERVICE_RESTART, 'service restart');
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(CLIENT_PING, SERVER_PONG));
  }

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
      return (await this.hub.handle(request, context)) as Response;
    }
    const decision = await this.hub.upgrade(request, context);
    if (!decision.accepted) return decision.response;
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const id = String(++this.#nextSocket);
    server.serializeAttachment(id);
    this.ctx.acceptWebSocket(server);
    this.#sockets.set(id, decision.accept(portOf(server)));
    return new Response(null, { status: 101, webSocket: client } as ResponseInit);
  }

  /** Hibernation API: a message arrived on an accepted socket. */
  webSocketMessage(ws: WorkersWebSocket, message: string | ArrayBuffer): void {
    const handlers = this.#sockets.get(ws.deserializeAttachment() as string);
    if (!handlers) ws.close(SERVICE_RESTART, 'service restart');
    else if (typeof message === 'string') handlers.message(message);
    else handlers.message('', true);
  }

  /** Hibernation API: the socket closed. */
  webSocketClose(ws: WorkersWebSocket): void {
    const id = ws.deserializeAttachment() as string;
    this.#sockets.get(id)?.closed();
    this.#sockets.delete(id);
    try {
      // Compatibility dates before web_socket_auto_reply_to_close leave the closing handshake to us.
      ws.close();
    } catch {
      // Already closed: nothing to answer.
    }
  }

  /** Hibernation API: the socket failed; for the hub it is gone, as when it closed. */
  webSocketError(ws: WorkersWebSocket): void {
    this.webSocketClose(ws);
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
