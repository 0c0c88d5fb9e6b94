import { createServer, type Server } from 'node:net';
import { emptyStats, type FaultProxyStats } from './fault-proxy-stats.ts';
import { type FaultState, Link, type LinkContext } from './link.ts';
import { STATUS_FAULTS, type StatusFault } from './local-answer.ts';

export type { StatusFault } from './local-answer.ts';

/** The tidings routes `status()` can target by name: `{path}/<route>`, `path` being the proxy's option. */
export type ProxyRoute = 'poll' | 'long-poll' | 'sse' | 'publish' | 'ws' | 'ready';

const ROUTES: readonly ProxyRoute[] = ['poll', 'long-poll', 'sse', 'publish', 'ws', 'ready'];

/** A path on the server, matched exactly (query aside): `'/api/export'`. */
export type ProxyPath = `/${string}`;

/** Options of `createFaultProxy`. */
export interface FaultProxyOptions {
  /**
   * The server to stand in front of, as an `http:` URL: `http://127.0.0.1:4000`, or a tidings base
   * URL such as `serve()`'s `http://127.0.0.1:4000/realtime` (the path is kept in `proxy.url`; the
   * proxy itself never rewrites a path or a header). Any runtime and adapter reachable over TCP.
   * Required.
   */
  target: string | URL;
  /**
   * Where the hub's routes live on the server, as requests carry it (the proxy rewrites no path,
   * so it is the same path on both sides): `status('poll', …)` answers `{path}/poll` and nothing
   * else, so an app route such as `/api/x/poll` passes untouched. Default: the target's path when it
   * has one (`serve()`'s URL ends in the hub's path), else `/realtime`, tidings' own default.
   */
  path?: string;
}

/** Options of `proxy.buffer()`. */
export interface BufferOptions {
  /**
   * Body bytes to hold per response before releasing them together; `Infinity` holds each body
   * until the response ends. Default 4096 (one page, nginx's `proxy_buffer_size` on x86).
   */
  bytes?: number;
}

/** Options of `proxy.status()`. */
export interface StatusOptions {
  /**
   * How long the proxy sits on the request before answering, in ms, as a real gateway waits for
   * its upstream timeout before a 504 (nginx: 60 s). The request never reaches the server. Default 0.
   */
  delayMs?: number;
}

/** The defaults of the fault options. */
export const FAULT_PROXY_DEFAULTS: {
  readonly path: '/realtime';
  readonly bufferBytes: 4096;
  readonly statusDelayMs: 0;
} = {
  /** The hub's path when neither the `path` option nor the target's URL gives one. */
  path: '/realtime',
  bufferBytes: 4096,
  statusDelayMs: 0,
};

/**
 * A TCP proxy on 127.0.0.1 that reads HTTP/1.1 well enough to fault it. Every fault method takes
 * effect at once, on open connections and new ones, and returns a function that lifts that fault
 * alone; `heal()` lifts them all. Faults combine: `latency` with `buffer`, `status` with
 * `refuseUpgrades`, `pause` with any; `blackhole` swallows everything else.
 */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>` followed by the target's path: use it where you would use the target. */
  readonly url: string;
  /** The port the proxy listens on. */
  readonly port: number;
  /** The hub's path on the server, which `status()` route names are under: `/realtime`, `''` at the root. */
  readonly path: string;
  /**
   * Resets every open connection, client side and server side (a TCP RST each, `ECONNRESET` for
   * both), including blackholed ones. New connections are accepted as usual. Returns how many
   * connections it reset.
   */
  cut(): number;
  /**
   * Turns the network off like a Wi-Fi switch: every open connection and every new one stays
   * established (no FIN, no RST, either way) while all bytes vanish. The server's writes keep
   * succeeding (the proxy reads and drops them), so only heartbeats and timeouts can tell.
   * Connections blackholed stay dead after `heal()`, as they would after a real network change;
   * `cut()` them to let both ends see a reset. New connections after healing work.
   */
  blackhole(): () => void;
  /**
   * Holds response body bytes toward the client, per connection, until `bytes` have gathered or
   * the response ends, then releases them (like nginx's `proxy_buffering`): a slow SSE stream shows
   * nothing. Response heads pass at once; WebSocket traffic after the upgrade is not held. Lifting it
   * releases what is held.
   */
  buffer(options?: BufferOptions): () => void;
  /** Delays every chunk in either direction by `ms`, keeping order (FINs and RSTs too). 0 lifts it. */
  latency(ms: number): () => void;
  /**
   * Answers every HTTP upgrade request (a WebSocket handshake) itself with `status` (200–599) and a
   * short plain-text body, as a proxy that cannot pass WebSockets does; the server never sees it.
   */
  refuseUpgrades(status: number): () => void;
  /**
   * Answers requests for one tidings route itself, on any connection, kept-alive ones included:
   * `503` plain text, `504` an HTML gateway-timeout page (after `delayMs`, see StatusOptions),
   * `'403-html'` an HTML "Access Denied" page like a corporate filter's. The request never reaches
   * the server. `route` is a route name, matching exactly `{path}/<route>` (the proxy's `path`
   * option), or a whole path starting with `/`, matched exactly; the query is ignored. One rule per
   * path; a later call replaces it.
   */
  status(route: ProxyRoute | ProxyPath, kind: StatusFault, options?: StatusOptions): () => void;
  /** Holds every byte both ways without closing anything, like a server stopped with SIGSTOP. */
  pause(): void;
  /** Releases what `pause()` held, in order. */
  resume(): void;
  /** Lifts every fault (blackholed connections stay dead). */
  heal(): void;
  /** A snapshot of the counters. */
  stats(): FaultProxyStats;
  /** Zeroes the counters (except `connections.active`). */
  resetStats(): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts a fault proxy in front of `target` on 127.0.0.1, port 0. Node only (`node:net`); works with
 * any test runner.
 *
 * @example
 * const proxy = await createFaultProxy({ target: served.url });
 * const client = createClient({ url: proxy.url, transports: ['sse'] });
 * proxy.cut(); // the client sees ECONNRESET and resumes from its cursor
 */
export async function createFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = parseTarget(options?.target);
  const hubPath = parsePath(options.path, target.path);
  const faults: FaultState = {
    latencyMs: 0,
    paused: false,
    blackhole: false,
    bufferBytes: 0,
    refuseUpgrades: undefined,
    status: new Map(),
  };
  let counters = emptyStats();
  const links = new Set<Link>();
  const context: LinkContext = {
    faults,
    get stats() {
      return counters;
    },
    target,
    hubPath,
    done: (link) => links.delete(link),
  };
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    counters.connections.opened++;
    counters.connections.active++;
    links.add(new Link(context, socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  // Each setting remembers which call made it, so a lift function never undoes a later call.
  const owner: Record<string, object | undefined> = {};
  const claim = (key: string, lift: () => void): (() => void) => {
    const token = {};
    owner[key] = token;
    return () => {
      if (owner[key] !== token) return;
      owner[key] = undefined;
      lift();
    };
  };
  const flowAll = () => {
    for (const link of links) link.flow();
  };
  const liftBuffer = () => {
    faults.bufferBytes = 0;
    for (const link of links) link.flushBuffer();
  };
  const resume = () => {
    faults.paused = false;
    flowAll();
    for (const link of links) link.release();
  };
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}${target.path}`,
    port,
    path: hubPath,
    cut() {
      let reset = 0;
      for (const link of [...links]) if (link.cut()) reset++;
      counters.faults.cut += reset;
      return reset;
    },
    blackhole() {
      faults.blackhole = true;
      for (const link of links) link.blackhole();
      return claim('blackhole', () => {
        faults.blackhole = false;
      });
    },
    buffer(bufferOptions = {}) {
      const bytes = bufferOptions.bytes ?? FAULT_PROXY_DEFAULTS.bufferBytes;
      if (!(bytes === Infinity || (Number.isInteger(bytes) && bytes >= 1))) {
        throw new TypeError('buffer bytes must be a whole number ≥ 1, or Infinity');
      }
      faults.bufferBytes = bytes;
      return claim('buffer', liftBuffer);
    },
    latency(ms) {
      if (!(ms >= 0 && ms < Infinity)) throw new TypeError('latency ms must be a number ≥ 0');
      faults.latencyMs = ms;
      return claim('latency', () => {
        faults.latencyMs = 0;
      });
    },
    refuseUpgrades(status) {
      if (!(Number.isInteger(status) && status >= 200 && status <= 599)) {
        throw new TypeError('refuseUpgrades status must be a whole number from 200 to 599');
      }
      faults.refuseUpgrades = status;
      return claim('refuseUpgrades', () => {
        faults.refuseUpgrades = undefined;
      });
    },
    status(route, kind, statusOptions = {}) {
      let path: string;
      if (ROUTES.includes(route as ProxyRoute)) path = `${hubPath}/${route}`;
      else if (typeof route === 'string' && /^\/[^?#\s]*$/.test(route)) path = route;
      else {
        throw new TypeError(`status route must be one of ${ROUTES.join(', ')}, or a path starting with /`);
      }
      if (!STATUS_FAULTS.includes(kind))
        throw new TypeError(`status kind must be one of 503, 504, '403-html'`);
      const delayMs = statusOptions.delayMs ?? FAULT_PROXY_DEFAULTS.statusDelayMs;
      if (!(delayMs >= 0 && delayMs < Infinity)) throw new TypeError('status delayMs must be a number ≥ 0');
      const rule = { kind, delayMs };
      faults.status.set(path, rule);
      return () => {
        if (faults.status.get(path) === rule) faults.status.delete(path);
      };
    },
    pause() {
      faults.paused = true;
      flowAll();
    },
    resume,
    heal() {
      for (const key of Object.keys(owner)) owner[key] = undefined;
      faults.blackhole = false;
      faults.latencyMs = 0;
      faults.refuseUpgrades = undefined;
      faults.status.clear();
      liftBuffer();
      resume();
    },
    stats: () => structuredClone(counters),
    resetStats() {
      counters = emptyStats(counters.connections.active);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const link of [...links]) link.destroy();
      });
      return closing;
    },
  };
}

function parseTarget(target: string | URL | undefined): { host: string; port: number; path: string } {
  let url: URL;
  try {
    url = new URL(target ?? '');
  } catch {
    throw new TypeError('target must be an http: URL such as http://127.0.0.1:4000');
  }
  if (url.protocol !== 'http:') throw new TypeError('target must be an http: URL (TLS is not supported)');
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || 80),
    path: url.pathname.replace(/\/+$/, ''),
  };
}

/** The hub's path, without a trailing slash (`''` at the root). */
function parsePath(path: string | undefined, targetPath: string): string {
  if (path === undefined) return targetPath || FAULT_PROXY_DEFAULTS.path;
  if (typeof path !== 'string' || !/^\/[^?#\s]*$/.test(path)) {
    throw new TypeError("path must be a path starting with /, such as '/realtime'");
  }
  return path.replace(/\/+$/, '');
}
