import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Picks the connections to cut, by the request that opened them: its path, headers, token… Its
 * `url` is the one the request arrived with, even where the app rewrote it since (Express strips
 * a mounted router's prefix from `req.url` while the request runs).
 */
export type RequestMatcher = (request: IncomingMessage) => boolean;

/** Options of `createConnectionCutter`. */
export interface ConnectionCutterOptions {
  /**
   * After a cut, how long new requests and upgrades that match are dropped too, in ms, as if the
   * network were still down for them. `Infinity` keeps them out until `heal()`. Default 0: only the
   * open connections are cut.
   */
  outageMs?: number;
}

/** Options of `cutter.cut`. */
export interface CutOptions {
  /** This cut's outage, in ms. Default: the cutter's `outageMs`. */
  outageMs?: number;
}

/** A snapshot of a cutter's counters. */
export interface ConnectionCutterStats {
  /** Requests in flight and upgraded sockets the cutter watches now. */
  open: number;
  /** Connections reset by `cut`. */
  cut: number;
  /** Requests and upgrades dropped during an outage. */
  refused: number;
  /** Outages in force. */
  outages: number;
  /** Times a matcher threw; the request it was asked about counted as not matching. */
  matchErrors: number;
}

/**
 * Cuts a Node server's connections from the server side, as a network failure would: every open
 * HTTP request (an SSE stream, a waiting long poll) and WebSocket whose request matches is reset,
 * and for an outage afterwards new ones that match are dropped before the app sees them. Others
 * keep working. Where the fault proxy stands between one client and the server, the cutter picks
 * connections by who or what they are, on a server every client reaches directly.
 */
export interface ConnectionCutter {
  /**
   * Watches a `node:http` (or `https`) server: every `request` and `upgrade` passes the cutter
   * first, whichever listener was added before or after. Returns the function that stops watching.
   */
  attach(server: Server): () => void;
  /**
   * Resets (TCP RST) the open connections whose request matches, and starts an outage of
   * `outageMs` for that matcher. Returns how many connections it reset.
   */
  cut(match: RequestMatcher, options?: CutOptions): number;
  /** Ends every outage: new connections are let through again. */
  heal(): void;
  /** A snapshot of the counters. */
  stats(): ConnectionCutterStats;
  /** Stops watching every server and ends every outage. Open connections are left alone. */
  close(): void;
}

/** The defaults of the cutter. */
export const CONNECTION_CUTTER_DEFAULTS: { readonly outageMs: 0 } = { outageMs: 0 };

const REQUEST_EVENTS: ReadonlySet<string | symbol> = new Set([
  'request',
  'checkContinue',
  'checkExpectation',
]);

function checkOutage(outageMs: unknown): number {
  if (!(typeof outageMs === 'number' && outageMs >= 0)) {
    throw new TypeError('outageMs must be a number of ms ≥ 0 (or Infinity)');
  }
  return outageMs;
}

/** A RST where the socket can send one (a plain TCP socket), else a plain destroy. */
function reset(socket: Duplex): void {
  if (socket.destroyed) return;
  const tcp = socket as Socket;
  if (typeof tcp.resetAndDestroy === 'function' && tcp.readyState !== 'closed') tcp.resetAndDestroy();
  else socket.destroy();
}

/**
 * Creates a connection cutter; attach it to your server. Node only. DEMO AND TEST USE: it exists to
 * make failures happen on purpose.
 *
 * @example
 * const cutter = createConnectionCutter({ outageMs: 1000 });
 * cutter.attach(server);
 * cutter.cut((req) => tokenSubject(req) === 'alice'); // alice's streams and sockets drop; others stay
 */
export function createConnectionCutter(options: ConnectionCutterOptions = {}): ConnectionCutter {
  const defaultOutageMs = checkOutage(options.outageMs ?? CONNECTION_CUTTER_DEFAULTS.outageMs);
  // Whose request runs on which socket, while it runs: a kept-alive socket serves many requests.
  const open = new Map<IncomingMessage, { socket: Duplex; url: string | undefined }>();
  const outages = new Set<{ match: RequestMatcher; until: number }>();
  const detaches = new Set<() => void>();
  const counters = { cut: 0, refused: 0, matchErrors: 0 };

  const matches = (match: RequestMatcher, request: IncomingMessage, url = request.url): boolean => {
    // The matcher sees the URL the request arrived with, for the length of its (synchronous) call.
    const current = request.url;
    request.url = url;
    try {
      return match(request) === true;
    } catch {
      counters.matchErrors++;
      return false;
    } finally {
      request.url = current;
    }
  };

  function isDown(request: IncomingMessage): boolean {
    const now = performance.now();
    for (const outage of outages) {
      if (outage.until <= now) outages.delete(outage);
      else if (matches(outage.match, request)) return true;
    }
    return false;
  }

  /** False when the request is dropped; else it is watched until it ends. */
  function admit(request: IncomingMessage, socket: Duplex, ended: { once(e: 'close', f: () => void): void }) {
    if (outages.size > 0 && isDown(request)) {
      counters.refused++;
      reset(socket);
      return false;
    }
    open.set(request, { socket, url: request.url });
    ended.once('close', () => open.delete(request));
    return true;
  }

  return {
    attach(server) {
      const original = server.emit;
      let watching = true;
      // Listeners cannot stop each other, so the one place where a dropped request never reaches the
      // app is the emit itself.
      const emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
        if (watching && REQUEST_EVENTS.has(event)) {
          const request = args[0] as IncomingMessage;
          if (!admit(request, request.socket, args[1] as ServerResponse)) return true;
        } else if (watching && event === 'upgrade') {
          const socket = args[1] as Duplex;
          if (!admit(args[0] as IncomingMessage, socket, socket)) return true;
        }
        return original.apply(this, [event, ...args] as Parameters<Server['emit']>);
      };
      server.emit = emit as Server['emit'];
      const detach = () => {
        watching = false;
        if (server.emit === emit) server.emit = original;
        detaches.delete(detach);
      };
      detaches.add(detach);
      return detach;
    },
    cut(match, cutOptions = {}) {
      if (typeof match !== 'function') throw new TypeError('cut needs a function of the request');
      const outageMs = checkOutage(cutOptions.outageMs ?? defaultOutageMs);
      if (outageMs > 0) outages.add({ match, until: performance.now() + outageMs });
      let count = 0;
      for (const [request, { socket, url }] of [...open]) {
        if (!matches(match, request, url)) continue;
        open.delete(request);
        if (socket.destroyed) continue;
        reset(socket);
        count++;
      }
      counters.cut += count;
      return count;
    },
    heal() {
      outages.clear();
    },
    stats() {
      const now = performance.now();
      for (const outage of outages) if (outage.until <= now) outages.delete(outage);
      return { open: open.size, ...counters, outages: outages.size };
    },
    close() {
      for (const detach of [...detaches]) detach();
      outages.clear();
    },
  };
}

/**
 * The `sub` claim of the JWT a tidings client sends (`Authorization: Bearer`, the `token` query
 * parameter, or the named cookie), read WITHOUT verifying it: to pick connections to cut, never to
 * trust. Undefined when there is none.
 */
export function tokenSubject(
  request: IncomingMessage,
  options: { cookie?: string } = {},
): string | undefined {
  const header = request.headers.authorization;
  let token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
  token ??= new URL(request.url ?? '/', 'http://x').searchParams.get('token') ?? undefined;
  if (token === undefined && options.cookie) {
    for (const part of (request.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === options.cookie) token = value.join('=');
    }
  }
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    const sub: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}
