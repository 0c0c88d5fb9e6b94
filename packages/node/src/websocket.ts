import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hub, SocketHandlers } from '@tidings/core';
import { WebSocket, WebSocketServer } from 'ws';
import { type ClientAddress, socketAddress } from './client-address.ts';
import { NodeRequestView } from './request-view.ts';
import { type Internal, NodeSocketPort } from './ws-port.ts';

/** Options of `attachWebSocket`. */
export interface AttachWebSocketOptions {
  /** The path of the WebSocket route, e.g. `/realtime/ws`. Required. */
  path: string;
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

/** A WebSocket attachment; `close()` stops handling upgrades (open sockets are closed by the hub). */
export interface WebSocketAttachment {
  close(): void;
}

/**
 * ws's socket with a slot for the hub's session, declared so that it lives inside the object (a
 * property added later would cost each socket a separate backing store). The listeners below are
 * then shared functions, called with the socket as `this`, instead of closures per socket.
 */
class SessionSocket extends WebSocket {
  session: SocketHandlers | undefined = undefined;
}

function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  (this as SessionSocket).session!.message(isBinary ? '' : data.toString('utf8'), isBinary);
}
function onPong(this: WebSocket): void {
  (this as SessionSocket).session!.pong();
}
function onClose(this: WebSocket): void {
  (this as SessionSocket).session!.closed();
}
function ignore(): void {}
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** Writes a real HTTP answer on a socket that asked to upgrade, then closes it. */
async function refuse(socket: Duplex, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  let head = `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}\r\n`;
  response.headers.forEach((value, key) => {
    head += `${key}: ${value}\r\n`;
  });
  head += `content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`;
  if (socket.writable) socket.end(Buffer.concat([Buffer.from(head), body]));
  else socket.destroy();
}

/**
 * Handles WebSocket upgrades on an http.Server with `ws` in noServer mode. The hub decides each
 * upgrade first, so auth, origin and limit refusals are real HTTP answers. `maxPayload` comes from
 * the hub's `maxMessageBytes`; every socket has an error listener.
 */
export function attachWebSocket(
  server: Server,
  hub: Hub,
  options: AttachWebSocketOptions,
): WebSocketAttachment {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: hub.options.maxMessageBytes,
    perMessageDeflate: options.perMessageDeflate ?? false,
    clientTracking: false,
    WebSocket: SessionSocket,
  });
  const preframed = !(options.perMessageDeflate ?? false);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', destroyOnError);
    const pathname = (req.url ?? '/').split('?', 1)[0];
    if (pathname !== options.path) {
      const refuseOthers = options.otherPaths
        ? options.otherPaths === 'refuse'
        : server.listenerCount('upgrade') === 1;
      if (refuseOthers)
        void refuse(
          socket,
          Response.json({ error: { code: 'not_found', message: 'no such route' } }, { status: 404 }),
        );
      return;
    }
    void handle(req, socket, head);
  };
  async function handle(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const decision = await hub.upgrade(new NodeRequestView(req), {
      clientAddress: (options.clientAddress ?? socketAddress)(req),
    });
    if (!decision.accepted) return refuse(socket, decision.response);
    let upgraded = false;
    // ws answers a bad handshake (key, version) itself and never calls back: free the slot then.
    const onEarlyClose = () => {
      if (!upgraded) decision.abort();
    };
    socket.once('close', onEarlyClose);
    if (socket.destroyed) return decision.abort();
    wss.handleUpgrade(req, socket, head, (upgradedSocket) => {
      const ws = upgradedSocket as SessionSocket & Internal;
      upgraded = true;
      // Once upgraded, ws reports the close and handles socket errors: our listeners would only pin
      // the decision in memory (and cost a listener array) for the socket's life.
      socket.off('close', onEarlyClose);
      socket.off('error', destroyOnError);
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
    },
  };
}
