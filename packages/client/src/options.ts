import { isValidTopic } from '@tidings/core/protocol';

/** The transports, best first. */
export type TransportName = 'ws' | 'sse' | 'long-poll' | 'poll';

/** An optional map from topic name to payload type, e.g. `{ notes: { text: string } }`. */
export type TopicMap = Record<string, unknown>;

/** Options of `createClient`. Only `url` is required. */
export interface ClientOptions<T extends TopicMap = TopicMap> {
  /**
   * Where the routes are mounted, e.g. `https://app.example/realtime`. In a browser it may be
   * relative to the page (`/realtime`). Required.
   */
  url: string;
  /** Topics to receive from the start, through `on('event')`, besides those of `subscribe`. Default none. */
  topics?: (keyof T & string)[];
  /**
   * The transports to use, in order of preference: the client starts with the first and falls back
   * along the list. Default `['ws', 'sse', 'long-poll', 'poll']`.
   */
  transports?: TransportName[];
  /** A fixed token, sent as `Authorization: Bearer` (and as `?token=` on WebSocket URLs, which cannot carry headers). Default none. */
  token?: string;
  /**
   * Returns a fresh token. Called before the first connection when `token` is not given, and again
   * whenever the server answers 401 or closes with 4401, after which the client reconnects from its
   * cursor. Without it a 401 is terminal. Default none.
   */
  getToken?: () => string | Promise<string>;
  /**
   * Share one connection among all tabs of this origin that use the same `url`: the tabs elect a
   * leader (Web Locks) that holds the connection and relays over a BroadcastChannel. Default true
   * where `navigator.locks`, `BroadcastChannel` and `document` exist (browser windows), else false;
   * `true` where the first two are missing gives the client a connection of its own.
   */
  sharedConnection?: boolean;
  /** Start after this event id (e.g. one your app stored), instead of "from now". Default none. */
  cursor?: string;
  /** First reconnect delay ceiling, in ms; each failed attempt doubles it and the actual delay is random below it (full jitter). Default 500. */
  reconnectDelayMs?: number;
  /** Cap of the reconnect delay ceiling, in ms. Default 20000. */
  maxReconnectDelayMs?: number;
  /**
   * How long a transport may take to deliver its first bytes (the WebSocket welcome, the SSE opening
   * comment) before the client falls back to the next one, in ms. Default 4000.
   */
  openTimeoutMs?: number;
  /** How long to stay on a worse transport before trying the better ones again, in ms; doubles after each failed probe, up to 16×. 0 disables. Default 60000. */
  probeIntervalMs?: number;
  /** How long the server may hold a long poll, in seconds. Default 25. */
  longPollTimeoutS?: number;
  /** Pause between short polls, in ms. Default 3000. */
  pollIntervalMs?: number;
  /** A tab hidden for at least this long reconnects at once when it becomes visible again, in ms. Default 60000. */
  wakeAfterHiddenMs?: number;
  /** Random source in [0, 1) for the jitter (inject one for tests). Default `Math.random`. */
  random?: () => number;
  /** The fetch to use. Default the global `fetch`. */
  fetch?: typeof fetch;
  /** The WebSocket class to use. Default the global `WebSocket`. */
  WebSocket?: typeof WebSocket;
}

/** The defaults of every numeric and list option. */
export const CLIENT_DEFAULTS: {
  readonly transports: readonly TransportName[];
  readonly reconnectDelayMs: 500;
  readonly maxReconnectDelayMs: 20000;
  readonly openTimeoutMs: 4000;
  readonly probeIntervalMs: 60000;
  readonly longPollTimeoutS: 25;
  readonly pollIntervalMs: 3000;
  readonly wakeAfterHiddenMs: 60000;
} = {
  transports: ['ws', 'sse', 'long-poll', 'poll'],
  reconnectDelayMs: 500,
  maxReconnectDelayMs: 20000,
  openTimeoutMs: 4000,
  probeIntervalMs: 60000,
  longPollTimeoutS: 25,
  pollIntervalMs: 3000,
  wakeAfterHiddenMs: 60000,
};

/** Options with defaults applied. */
export type Resolved = Required<Omit<ClientOptions, 'token' | 'getToken' | 'cursor'>> &
  Pick<ClientOptions, 'token' | 'getToken' | 'cursor'>;

const NAMES = CLIENT_DEFAULTS.transports;
const NUMBERS = [
  'reconnectDelayMs',
  'maxReconnectDelayMs',
  'openTimeoutMs',
  'probeIntervalMs',
  'longPollTimeoutS',
  'pollIntervalMs',
  'wakeAfterHiddenMs',
] as const;

/** Applies defaults; throws a TypeError for impossible options, at `createClient` time. */
export function resolveOptions(options: ClientOptions): Resolved {
  const g = globalThis;
  const o: Record<string, unknown> = {
    ...CLIENT_DEFAULTS,
    topics: [],
    sharedConnection: !!(g.navigator?.locks && g.BroadcastChannel && g.document),
    random: Math.random,
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
    WebSocket: g.WebSocket,
  };
  // An option given as undefined keeps its default.
  for (const [key, value] of Object.entries(options)) if (value !== undefined) o[key] = value;
  for (const key of NUMBERS) {
    const value = o[key] as number;
    if (!(value >= 0 && value < Infinity)) throw new TypeError(`${key} must be a number ≥ 0`);
  }
  try {
    new URL(o.url as string, g.location?.href);
  } catch {
    throw new TypeError('url must be an absolute URL (or, in a page, one relative to it)');
  }
  // Asked for where the APIs are missing (server-side rendering): a connection of its own instead.
  o.sharedConnection &&= !!(g.navigator?.locks && g.BroadcastChannel);
  const t = o.transports as TransportName[];
  if (!t.length || t.some((name, i) => !NAMES.includes(name) || t.indexOf(name) !== i)) {
    throw new TypeError(`transports must be distinct names from ${NAMES}`);
  }
  for (const topic of o.topics as string[])
    if (!isValidTopic(topic)) throw new TypeError(`invalid topic ${topic}`);
  return o as unknown as Resolved;
}
