import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { EventRecord, Hub, SocketPort } from '@tidings/core';
import * as wsModule from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { type ClientAddress, socketAddress } from './client-address.ts';
import { corkForTick } from './cork.ts';
import { NodeRequestView } from './request-view.ts';

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

// Each event's WebSocket frame (header + payload), built once per broadcast, shared by all sockets.
const WS_FRAME = Symbol('tidings.node.ws-frame');

type Internal = WebSocket & {
  _sender?: { sendFrame(list: Buffer[], cb?: () => void): void };
  _socket?: Duplex;
};
type FrameOptions = { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean };
// `Sender.frame` is exported by ws (not in its typings): the same framing ws uses, done once.
const { Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] };
};

function frameOf(record: EventRecord, text: string): Buffer[] {
  let frame = record.frames.get(WS_FRAME) as Buffer[] | undefined;
  if (!frame) {
    const parts = Sender.frame(Buffer.from(text), {
      fin: true,
      rsv1: false,
      opcode: 1,
      mask: false,
      readOnly: true,
    });
    // One buffer, one write per socket.
    frame = [Buffer.concat(parts)];
    record.frames.set(WS_FRAME, frame);
  }
  return frame;
}

function portOf(ws: Internal, preframed: boolean): SocketPort {
  return {
    send(text, record) {
      if (ws.readyState !== WebSocket.OPEN) return;
      corkForTick(ws._socket as never);
      // With compression off, ws writes frames synchronously, so a pre-built frame keeps its order.
      if (record && preframed && ws._sender) ws._sender.sendFrame(frameOf(record, text));
      else ws.send(text);
    },
    close: (code, reason) => ws.close(code, reason),
    bufferedAmount: () => ws.bufferedAmount,
    ping: () => ws.ping(),
    terminate: () => ws.terminate(),
  };
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
  });
  const preframed = !(options.perMessageDeflate ?? false);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
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
    wss.handleUpgrade(req, socket, head, (ws: Internal) => {
      upgraded = true;
      // Once upgraded, ws reports the close; keeping this listener would pin the decision in memory for the socket's life.
      socket.off('close', onEarlyClose);
      ws.on('error', () => {});
      const handlers = decision.accept(portOf(ws, preframed));
      ws.on('message', (data: Buffer, isBinary: boolean) =>
        handlers.message(isBinary ? '' : data.toString('utf8'), isBinary),
      );
      ws.on('pong', () => handlers.pong());
      ws.on('close', () => handlers.closed());
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
