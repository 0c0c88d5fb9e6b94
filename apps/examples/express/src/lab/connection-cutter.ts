import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';

/** Options of `createConnectionCutter`. */
export interface ConnectionCutterOptions {
  /** The WebSocket route, e.g. `/realtime/ws`. Required. */
  wsPath: string;
  /** After a cut, the user's new connections are dropped for this long, in ms. Default 1500. */
  outageMs?: number;
}

/**
 * Drops the TCP connections of one user, as a network failure would, so the lab can show the
 * client reconnecting and resuming. DEMO ONLY: it exists to make failure visible.
 */
export interface ConnectionCutter {
  /** Express middleware in front of the tidings routes: remembers whose request runs on which socket. */
  track(req: Request, res: Response, next: NextFunction): void;
  /** An `upgrade` listener for the server: remembers whose WebSocket runs on which socket. */
  watchUpgrade(req: IncomingMessage, socket: Duplex): void;
  /** Destroys the user's open sockets and refuses its new ones for `outageMs`; returns how many were open. */
  cut(user: string): number;
  readonly outageMs: number;
}

/**
 * The `sub` of a JWT, read without checking it: it only routes a cut to the right sockets, and the
 * hub verifies every token itself. The cut route verifies the token of whoever asks.
 */
function subjectOf(token: string | null | undefined): string | undefined {
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const sub = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

function userOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return subjectOf(header.slice(7));
  return subjectOf(new URL(req.url ?? '/', 'http://x').searchParams.get('token'));
}

/** Creates a cutter; see ConnectionCutter. */
export function createConnectionCutter(options: ConnectionCutterOptions): ConnectionCutter {
  const outageMs = options.outageMs ?? 1500;
  const sockets = new Map<string, Set<Duplex>>();
  const downUntil = new Map<string, number>();

  // A socket belongs to a user only while it carries that user's request or WebSocket: browsers
  // reuse keep-alive sockets across requests of every panel on the page.
  function hold(user: string, socket: Duplex): () => void {
    let set = sockets.get(user);
    if (!set) {
      set = new Set();
      sockets.set(user, set);
    }
    set.add(socket);
    return () => {
      set.delete(socket);
      if (!set.size && sockets.get(user) === set) sockets.delete(user);
    };
  }

  function isDown(user: string): boolean {
    const until = downUntil.get(user);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    downUntil.delete(user);
    return false;
  }

  return {
    outageMs,
    track(req, res, next) {
      const user = userOf(req);
      if (user === undefined) return next();
      if (isDown(user)) {
        req.socket.destroy();
        return;
      }
      res.once('close', hold(user, req.socket));
      next();
    },
    watchUpgrade(req, socket) {
      const pathname = (req.url ?? '/').split('?', 1)[0];
      if (pathname !== options.wsPath) {
        // With a second `upgrade` listener, tidings leaves other paths alone: answer them here.
        socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      const user = userOf(req);
      if (user === undefined) return;
      // Tidings sees the destroyed socket after its checks and gives the slot back.
      if (isDown(user)) socket.destroy();
      else socket.once('close', hold(user, socket));
    },
    cut(user) {
      const now = Date.now();
      // Users who never came back would otherwise stay in the map.
      for (const [other, until] of downUntil) if (until <= now) downUntil.delete(other);
      downUntil.set(user, now + outageMs);
      const open = [...(sockets.get(user) ?? [])];
      for (const socket of open) socket.destroy();
      return open.length;
    },
  };
}
