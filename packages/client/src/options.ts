import { isValidTopic } from '@tidings/core/protocol';
import { routeUrl } from './internal/http.ts';

/** The transports, best first. */
export type TransportName = 'ws' | 'sse' | 'long-poll' | 'poll';

/**
 * The topics of an app and the data each carries, e.g. `interface Topics { notes: { text: string } }`.
 * Any object type works, an `interface` included, and the same type serves `createHub`.
 */
export type TopicMap = object;

/** Options of `createClient`. Only `url` is required. */
export interface ClientOptions<T extends TopicMap = Record<string, unknown>> {
  /**
   * Where the routes are mounted, e.g. `https://app.example/realtime`. In a browser it may be
   * relative to the page (`/realtime`). Required.
   */
  url: string;
  /**
   * Topics to receive from the start, through `on('event')`, besides those of `subscribe`. Default
   * none. Off: leave it out.
   */
  topics?: NoInfer<keyof T & string>[];
  /**
   * The transports to use, in order of preference: the client starts with the first and falls back
   * along the list. Default `['ws', 'sse', 'long-poll', 'poll']`. Off: leave a transport out of the
   * list (at least one stays).
   */
  transports?: TransportName[];
  /**
   * A fixed token, sent as `Authorization: Bearer` and, on a WebSocket, as its first message (never
   * in a URL). Default none. Off: leave it out.
   */
  token?: string;
  /**
   * Returns a fresh token. Called before the first connection when `token` is not given, and again
   * whenever the server answers 401 or closes with 4401, after which the client reconnects from its
   * cursor. A JWT is also renewed at 80 % of its life (its `exp`, read without verifying) and handed
   * to an open WebSocket in band, with no reconnect. Without it a 401 is terminal. Default none. Off:
   * leave it out.
   */
  getToken?: () => string | Promise<string>;
  /**
   * Share one connection among all tabs of this origin that use the same `url`: the tabs elect a
   * leader (Web Locks) that holds the connection and relays over a BroadcastChannel. Default true
   * where `navigator.locks`, `BroadcastChannel` and `document` exist (browser windows), else false;
   * `true` where the first two are missing gives the client a connection of its own. Off: false.
   */
  sharedConnection?: boolean;
  /** Start after this event id (e.g. one your app stored), instead of "from now". Default none. Off: leave it out. */
  cursor?: string;
  /**
   * First reconnect delay ceiling, in ms; each failed attempt doubles it and the actual delay is random
   * below it (full jitter). Default 500. Off: 0 (no backoff: a reconnect waits only for what the
   * server asked).
   */
  reconnectDelayMs?: number;
  /**
   * Cap of the reconnect delay ceiling, in ms. Default 20000. Cannot be turned off: the doubling delay
   * needs a cap, and timers fire at once past 2147483647 ms.
   */
  maxReconnectDelayMs?: number;
  /**
   * How long a request may wait for its answer to begin (the HTTP head, the WebSocket handshake), in
   * ms. Past it the attempt is dropped: when plain HTTP still answers, the transport is held by
   * something in between and the client falls back; when nothing answers, it retries. A slow link
   * only needs this to cover its round trips. Also the grace a long poll gets beyond its timeout.
   * Default 10000. Cannot be turned off: a request nothing answers has to be given up.
   */
  connectTimeoutMs?: number;
  /**
   * How long an answer that has begun may take to deliver its first bytes (the SSE opening comment
   * after the head, the WebSocket welcome after the handshake) before the client decides a proxy is
   * buffering it and falls back, in ms. The link's latency is not part of it. Default 4000. Cannot be
   * turned off: it is how the client finds a buffering proxy.
   */
  openTimeoutMs?: number;
  /**
   * How long to stay on a worse transport before trying the better ones again, in ms; doubles after
   * each failed probe, up to 16×. Default 60000. Off: 0 never probes.
   */
  probeIntervalMs?: number;
  /**
   * How long the server may hold a long poll, in ms (sent as `timeout` in seconds). Default 25000. Off:
   * leave `'long-poll'` out of `transports`.
   */
  longPollTimeoutMs?: number;
  /** Pause between short polls, in ms. Default 3000. Off: leave `'poll'` out of `transports`. */
  pollIntervalMs?: number;
  /**
   * How many publishes may wait for the server's answer (in this tab); one more is refused with
   * `outbox_full`. With `persist`, what closed tabs left counts too. Default 100. Off:
   * `Number.MAX_SAFE_INTEGER` (the outbox then grows without bound).
   */
  maxOutbox?: number;
  /**
   * Keep the outbox in IndexedDB, so publishes waiting for their answer survive a reload or a crash
   * of the tab: the next client of the same `url` in this browser sends them (same keys, same
   * order) once the tab that made them is gone. Loads its code only when true; where IndexedDB or
   * Web Locks are missing (Node) the outbox stays in memory. Default false. Off: false.
   */
  persist?: boolean;
  /**
   * Random source in [0, 1) for the jitter (inject one for tests). Default `Math.random`. Cannot be
   * turned off: every reconnect delay is drawn from it.
   */
  random?: () => number;
  /**
   * The fetch to use. Default the global `fetch`. Cannot be turned off: every HTTP request of the
   * client goes through it.
   */
  fetch?: typeof fetch;
  /** The WebSocket class to use. Default the global `WebSocket`. Off: leave `'ws'` out of `transports`. */
  WebSocket?: typeof WebSocket;
}

/** The defaults of every numeric and list option. */
export const CLIENT_DEFAULTS: {
  readonly transports: readonly TransportName[];
  readonly reconnectDelayMs: 500;
  readonly maxReconnectDelayMs: 20000;
  readonly connectTimeoutMs: 10000;
  readonly openTimeoutMs: 4000;
  readonly probeIntervalMs: 60000;
  readonly longPollTimeoutMs: 25000;
  readonly pollIntervalMs: 3000;
  readonly maxOutbox: 100;
} = {
  transports: ['ws', 'sse', 'long-poll', 'poll'],
  reconnectDelayMs: 500,
  maxReconnectDelayMs: 20000,
  connectTimeoutMs: 10_000,
  openTimeoutMs: 4000,
  probeIntervalMs: 60000,
  longPollTimeoutMs: 25_000,
  pollIntervalMs: 3000,
  maxOutbox: 100,
};

/** Options with defaults applied. */
export type Resolved = Required<Omit<ClientOptions, 'token' | 'getToken' | 'cursor' | 'persist'>> &
  Pick<ClientOptions, 'token' | 'getToken' | 'cursor' | 'persist'>;

const NAMES = CLIENT_DEFAULTS.transports;

// Every TypeError of an impossible option says which one and what it got.
const invalid = (what: string): never => {
  throw new TypeError(`invalid ${what}`);
};

/** Applies defaults; throws a TypeError for impossible options, at `createClient` time. */
export function resolveOptions(options: ClientOptions): Resolved {
  const g = globalThis;
  const o: Record<string, unknown> = {
    ...CLIENT_DEFAULTS,
    topics: [],
    sharedConnection: !!g.document,
    random: Math.random,
    fetch: (...args: Parameters<typeof fetch>) => fetch(...args),
    WebSocket: g.WebSocket,
  };
  // An option given as undefined keeps its default.
  for (const [key, value] of Object.entries(options)) if (value !== undefined) o[key] = value;
  // Where the APIs are missing (server-side rendering), a connection of its own, even if asked for.
  o.sharedConnection &&= !!(g.navigator?.locks && g.BroadcastChannel);
  const t = o.transports as TransportName[];
  for (const key in CLIENT_DEFAULTS) {
    const value = o[key] as number;
    // The transports: known and distinct. Every other default is a finite number ≥ 0 (ms, or a count).
    if (
      key === 'transports'
        ? !t.length || t.some((name, i) => !NAMES.includes(name) || t.indexOf(name) < i)
        : !(value >= 0 && value < Infinity)
    )
      invalid(`${key}: ${value}`);
  }
  try {
    routeUrl(o.url as string, '', {});
  } catch {
    invalid(`url: ${o.url}`);
  }
  for (const topic of o.topics as string[]) checkTopic(topic);
  return o as unknown as Resolved;
}

/** Throws a TypeError for a topic the protocol does not allow. */
export function checkTopic(topic: string): void {
  if (!isValidTopic(topic)) invalid(`topic: ${topic}`);
}
