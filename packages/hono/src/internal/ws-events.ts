import type { SocketHandlers, SocketPort, UpgradeDecision } from '@tidings/core/adapter';
import type { WSContext, WSEvents } from 'hono/ws';
import { byteLengthOf } from './byte-length.ts';

/** What the runtimes' raw sockets may offer beyond Hono's WSContext (`ws` on Node, Bun's ServerWebSocket, Deno's WebSocket). */
interface RawSocket {
  readyState?: number;
  bufferedAmount?: number;
  getBufferedAmount?(): number;
  terminate?(): void;
}

const OPEN = 1;
// A close waits until the peer has sent nothing for QUIET_MS, and at most MAX_LINGER_MS (see below).
const QUIET_MS = 25;
const MAX_LINGER_MS = 1000;

/**
 * Hono WebSocket events that bridge an accepted upgrade to the hub. The socket is handed over on
 * open (or on the first event, for runtimes that never report open); a socket that closes before
 * it was handed over gives its limit slot back.
 *
 * Protocol pings are left out on purpose: Hono's events never report a pong, so the hub sends
 * `{"type":"ping"}` text heartbeats instead, which every runtime carries.
 */
export function createWsEvents(decision: UpgradeDecision & { accepted: true }): WSEvents {
  let handlers: SocketHandlers | undefined;
  let closing: { code: number; reason: string; deadline: number } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let socket: WSContext;
  let raw: RawSocket = {};
  // Bun hands a fresh WSContext to every event with a copied readyState; the raw socket is live.
  const isOpen = () => (raw.readyState ?? socket.readyState) === OPEN;
  const closeNow = () => {
    timer = undefined;
    if (closing && isOpen()) socket.close(closing.code, closing.reason);
  };
  // Deno drops the connection without the close frame (the peer sees 1006, not the code) when
  // close() runs while the peer's frames are still arriving, e.g. right after the message that
  // broke a limit. So the close goes out once the input has been quiet for QUIET_MS, or after
  // MAX_LINGER_MS of a peer that keeps on sending. The hub ignores the socket meanwhile.
  const armClose = () => {
    clearTimeout(timer);
    timer = setTimeout(closeNow, Date.now() >= closing!.deadline ? 0 : QUIET_MS);
  };
  const port: SocketPort = {
    send(text) {
      if (isOpen()) socket.send(text);
    },
    close(code, reason) {
      if (closing) return;
      closing = { code, reason, deadline: Date.now() + MAX_LINGER_MS };
      armClose();
    },
    bufferedAmount: () => raw.getBufferedAmount?.() ?? raw.bufferedAmount ?? 0,
  };
  const open = (ws: WSContext): SocketHandlers => {
    if (handlers) return handlers;
    socket = ws;
    raw = (ws.raw ?? {}) as RawSocket;
    if (typeof raw.terminate === 'function') port.terminate = () => raw.terminate!();
    handlers = decision.accept(port);
    return handlers;
  };
  return {
    onOpen: (_event, ws) => {
      open(ws);
    },
    onMessage: (event, ws) => {
      const target = open(ws);
      if (closing) {
        if (timer !== undefined) armClose();
        return;
      }
      const data = event.data;
      if (typeof data === 'string') target.message(data);
      else target.message('', true, byteLengthOf(data));
    },
    onClose: () => {
      clearTimeout(timer);
      if (handlers) handlers.closed();
      else decision.abort();
    },
  };
}
