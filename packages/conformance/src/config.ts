import type { HubOptions, Principal, TopicAction } from '@tidings/core';

/** The HS256 secret every conformance hub uses unless a config says otherwise (test-only, never a real secret). */
export const CONFORMANCE_SECRET = 'tidings-conformance-secret-0123456789abcdef';

/** The hub options a JSON config can carry: those whose values are numbers, booleans, strings or string lists. */
type JsonKeys = {
  [K in keyof HubOptions]-?: NonNullable<HubOptions[K]> extends number | boolean | string | readonly string[]
    ? K
    : never;
}[keyof HubOptions];

/**
 * How a target's host app mounts the adapter: `root` (`app.use(realtime)`, the documented way),
 * `prefixed` (under a framework prefix that leads to the path, e.g. Express's
 * `app.use('/realtime', realtime)`), or `mismatch` (under `/rt`, from which the path `/realtime` can
 * never be reached: the adapter must say so loudly).
 */
export type ConformanceMount = 'root' | 'prefixed' | 'mismatch';

/**
 * A JSON-serialisable description of the hub a target starts. Out-of-process targets (Bun, Deno,
 * workerd) receive it as JSON and build their hub with `toHubOptions`, exactly like in-process ones.
 * Its hub fields are derived from `HubOptions` (every option a JSON value can carry), so the two
 * cannot drift apart.
 */
export type ConformanceConfig = Pick<HubOptions, JsonKeys> & {
  /**
   * HS256 secret of the hub's JWT verification; also the secret connect tickets are derived from,
   * so the suite can mint tickets on a hub of its own, as a second node would.
   */
  jwtSecret: string;
  /**
   * When set, the hub verifies tokens with the key set at this URL (`jwt.jwksUrl`) instead of the
   * secret, and takes tickets sealed with `jwtSecret` (`tickets.secret`). The suite serves the set
   * on 127.0.0.1, so every runtime, workerd included, fetches it over real loopback HTTP.
   */
  jwksUrl?: string;
  /** `jwt.jwksCooldownMs` with `jwksUrl`. Default: the hub's (30000). */
  jwksCooldownMs?: number;
  /** JWT clock leeway in ms (`jwt.leewayMs`). Default 0 here, so token-expiry cases run fast. */
  jwtLeewayMs?: number;
  /** How the host app mounts the adapter. Default `root`. */
  mount?: ConformanceMount;
  /**
   * Topics with presence on (the hub's `presence` option, a function a JSON config cannot carry):
   * exact names, or prefixes ending in `*`. Default: none.
   */
  presenceTopics?: string[];
};

/** Claims roles the fixed authorization rule knows. */
export type ConformanceRole = 'subscriber' | 'publisher' | 'admin';

function roleOf(principal: Principal): unknown {
  return principal.claims?.role;
}

/**
 * The fixed authorization rule of every conformance hub: a `publisher` or `admin` role may publish;
 * topics starting with `private.` need `admin` to subscribe (and to publish); anything else may
 * be subscribed by any authenticated (or allowed anonymous) principal.
 */
export function conformanceAuthorize(principal: Principal, topic: string, action: TopicAction): boolean {
  const role = roleOf(principal);
  if (topic.startsWith('private.')) return role === 'admin';
  if (action === 'publish') return role === 'publisher' || role === 'admin';
  return true;
}

/** A topic test for names and `prefix*` patterns. */
function matcherOf(patterns: readonly string[]): (topic: string) => boolean {
  return (topic) => patterns.some((p) => (p.endsWith('*') ? topic.startsWith(p.slice(0, -1)) : topic === p));
}

/** Builds the HubOptions a target passes to `createHub` for a config. */
export function toHubOptions(config: ConformanceConfig): HubOptions {
  const {
    jwtSecret,
    jwtLeewayMs,
    jwksUrl,
    jwksCooldownMs,
    mount: _mount,
    presenceTopics,
    ...options
  } = config;
  const rest: Partial<HubOptions> = presenceTopics
    ? { ...options, presence: matcherOf(presenceTopics) }
    : options;
  const leewayMs = jwtLeewayMs ?? 0;
  if (jwksUrl === undefined) {
    return { ...rest, jwt: { secret: jwtSecret, leewayMs }, authorize: conformanceAuthorize };
  }
  return {
    ...rest,
    jwt: jwksCooldownMs === undefined ? { jwksUrl, leewayMs } : { jwksUrl, leewayMs, jwksCooldownMs },
    tickets: { secret: jwtSecret },
    authorize: conformanceAuthorize,
  };
}
