import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AnyHub } from '@tidings/core';
import { type HubAnswer, resolvePath, type SocketHandlers, upgrade } from '@tidings/core/adapter';
import { WebSocket, WebSocketServer } from 'ws';
import { type ClientAddress, socketAddress } from './client-address.ts';
import { NodeRequestView } from './request-view.ts';
import { type Internal, NodeSocketPort } from './ws-port.ts';

/** Options of `attachWebSocket`. */
export interface AttachWebSocketOptions {
  /** The path the hub's routes live under; WebSockets are served at `{path}/ws`. Default `/realtime`. */
  path?: string;
  /**
   * What to do with upgrades for other paths: `'ignore'` leaves them to other `upgrade` listeners
   * (default when there are any), `'refuse'` answers 404 and closes the socket (default when
   * this is the only listener).
   */
  otherPaths?: 'ignore' | 'refuse';
  /** Enable permessage-deflate. Default false: compression costs CPU per client per message. */
  perMessageDeflate?: boolean;
  /** Where an upgrade comes from, for `maxConnectionsPerIp`. Default: the TCP peer (`socketAddress`). */
  clientAddress?: ClientAddress;
}

/** A WebSocket attachment. */
export interface WebSocketAttachment {
  /**
   * Stops handling upgrades and destroys every socket it upgraded (or was upgrading) that is still
   * open. Call it after `hub.close()`, which ends them gracefully first and terminates the ones that
   * do not go within `drainTimeoutMs`: what is left here is only what the hub never held. An http
   * server's `closeAllConnections()` does not reach upgraded sockets, so without this one could keep
   * the process alive.
   */
  close(): void;
}

/**
 * ws's socket with a slot for the hub's session, declared so that it lives inside the object (a
 * property added later would cost each socket a separate backing store). The listeners below are
 * then shared functions, called with the socket as `this`, instead of closures per socket.
 */
class SessionSocket extends WebSocket {
  session: SocketHandlers | undefined = undefined;
  /** The attachment's set of open sockets, which this one leaves when it closes. */
  open: Set<Duplex> | undefined = undefined;
}

function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  (this as SessionSocket).session!.message(isBinary ? '' : data.toString('utf8'), isBinary);
}
function onPong(this: WebSocket): void {
  (this as SessionSocket).session!.pong();
}
function onClose(this: WebSocket): void {
  const ws = this as SessionSocket & Internal;
  if (ws._socket) ws.open?.delete(ws._socket);
  ws.session!.closed();
}
function ignore(): void {}
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** Writes a real HTTP answer on a socket that asked to upgrade, then closes it. */
function refuse(socket: Duplex, answer: HubAnswer): void {
  const body = Buffer.from(answer.body);
  let head = `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}\r\n`;
  for (const [key, value] of Object.entries(answer.headers)) head += `${key}: ${value}\r\n`;
  head += `content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`;
  if (socket.writable) socket.end(Buffer.concat([Buffer.from(head), body]));
  else socket.destroy();
}

function notFound(pathname: string, wsPath: string): HubAnswer {
  // Both paths, so a mount under a prefix the adapter does not know (`app.use('/rt', …)` without
  // `path: '/rt'`) reads as what it is. The requested one is cut short: it is the client's input.
  const asked = pathname.length > 200 ? `${pathname.slice(0, 200)}…` : pathname;
  const message = `no WebSocket route at ${asked}; tidings serves WebSockets at ${wsPath} (its \`path\` + /ws)`;
  return {
    status: 404,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify({ error: { code: 'not_found', message } }),
  };
}

/**
 * Handles WebSocket upgrades at `{path}/ws` on an http.Server with `ws` in noServer mode. The hub
 * decides each upgrade first, so auth, origin and limit refusals are real HTTP answers. `maxPayload`
 * comes from the hub's `maxMessageBytes`; every socket has an error listener.
 */
export function attachWebSocket(
  server: Server,
  hub: AnyHub,
  options: AttachWebSocketOptions = {},
): WebSocketAttachment {
  const wsPath = `${resolvePath(options.path ?? '/realtime')}/ws`;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: hub.options.maxMessageBytes,
    perMessageDeflate: options.perMessageDeflate ?? false,
    clientTracking: false,
    WebSocket: SessionSocket,
  });
  const preframed = !(options.perMessageDeflate ?? false);
  // Every socket this attachment took, from its upgrade request until it closes, for `close()`.
  const open = new Set<Duplex>();
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', destroyOnError);
    const pathname = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (pathname !== wsPath && pathname !== `${wsPath}/`) {
      const refuseOthers = options.otherPaths
        ? options.otherPaths === 'refuse'
        : server.listenerCount('upgrade') === 1;
      if (refuseOthers) refuse(socket, notFound(pathname, wsPath));
      return;
    }
    void handle(req, socket, head);
  };
  async function handle(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    open.add(socket);
    const decision = await upgrade(hub, new NodeRequestView(req), {
      clientAddress: (options.clientAddress ?? socketAddress)(req),
    });
    if (!decision.accepted) {
      open.delete(socket);
      return refuse(socket, decision.answer);
    }
    let upgraded = false;
    // ws answers a bad handshake (key, version) itself and never calls back: free the slot then.
    const onEarlyClose = () => {
      open.delete(socket);
      if (!upgraded) decision.abort();
    };
    socket.once('close', onEarlyClose);
    if (socket.destroyed) return onEarlyClose();
    wss.handleUpgrade(req, socket, head, (upgradedSocket) => {
      const ws = upgradedSocket as SessionSocket & Internal;
      upgraded = true;
      // Once upgraded, ws reports the close and handles socket errors: our listeners would only pin
      // the decision in memory (and cost a listener array) for the socket's life.
      socket.off('close', onEarlyClose);
      socket.off('error', destroyOnError);
      ws.open = open;
      ws.session = decision.accept(new NodeSocketPort(ws, preframed));
      ws.on('error', ignore);
      ws.on('message', onMessage);
      ws.on('pong', onPong);
      ws.on('close', onClose);
    });
  }
  server.on('upgrade', onUpgrade);
  return {
    close() {
      server.off('upgrade', onUpgrade);
      wss.close();
      for (const socket of open) socket.destroy();
      open.clear();
    },
  };
}
