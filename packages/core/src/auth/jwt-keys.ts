import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  exportJWK,
  importSPKI,
  importX509,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { TidingsError } from '../errors.ts';
import type { JwtKeysOptions, JwtOptions, JwtPublicKey } from './auth-options.ts';
import { HMAC_ALGORITHMS, PUBLIC_KEY_ALGORITHMS } from './jwt-algorithms.ts';

/** What a verifier needs from its hub: where to report a key-source failure, and the Retry-After of a 503. */
export interface JwtHooks {
  /** Told (stage `jwks`) when keys cannot be fetched or read. Tokens are never passed. */
  report?: (error: unknown) => void;
  /** `Retry-After` of the 503 a request gets while the key set cannot be fetched, in ms. Default 5000. */
  retryAfterMs?: number;
}

/** The keys of one `jwt` option, as `jwtVerify` takes them, and the algorithms a token may name. */
export interface KeySource {
  key: Uint8Array | JWTVerifyGetKey;
  algorithms: string[];
}

const JWKS_DEFAULTS = { jwksCacheMs: 600_000, jwksCooldownMs: 30_000, jwksTimeoutMs: 5000 };

// Key lookups that fail because of the token (no key for its `kid`/`alg`): the token is refused.
// Anything else a key lookup throws is the key source's fault (the JWKS endpoint, a broken key).
function isTokenProblem(error: unknown): boolean {
  return (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JOSENotSupported
  );
}

async function toJwk(key: JwtPublicKey): Promise<JWK> {
  if ('pem' in key) {
    const pem = key.pem.trim();
    const imported = pem.startsWith('-----BEGIN CERTIFICATE-----')
      ? await importX509(pem, key.alg, { extractable: true })
      : await importSPKI(pem, key.alg, { extractable: true });
    const jwk = await exportJWK(imported);
    return key.kid === undefined ? { ...jwk, alg: key.alg } : { ...jwk, alg: key.alg, kid: key.kid };
  }
  // Pinned: the set only offers a key to tokens of its one algorithm (jose matches `alg` exactly).
  const jwk: JWK = { ...key.jwk, alg: key.alg ?? (key.jwk.alg as string) };
  if (key.kid !== undefined) jwk.kid = key.kid;
  return jwk;
}

function inlineKeys(options: JwtKeysOptions, hooks: JwtHooks): KeySource {
  let set: Promise<JWTVerifyGetKey> | undefined;
  const pinned = options.keys.map((k) => k.alg ?? ('jwk' in k ? (k.jwk.alg as string) : ''));
  const algorithms = [...new Set(pinned)].filter(
    (a) => !options.algorithms || options.algorithms.includes(a as never),
  );
  const key: JWTVerifyGetKey = async (header, token) => {
    set ??= Promise.all(options.keys.map(toJwk)).then((keys) => createLocalJWKSet({ keys }));
    try {
      return await (await set)(header, token);
    } catch (error) {
      if (isTokenProblem(error)) throw error;
      set = undefined;
      hooks.report?.(error);
      throw new TidingsError('misconfigured', 'a configured JWT key could not be read');
    }
  };
  return { key, algorithms };
}

function remoteKeys(options: Extract<JwtOptions, { jwksUrl: string }>, hooks: JwtHooks): KeySource {
  const o = { ...JWKS_DEFAULTS, ...options };
  // jose's remote set caches the keys, fetches once for many concurrent requests, refetches when a
  // token names an unknown `kid` (at most once per cooldown) and abandons a fetch at the timeout.
  const remote = createRemoteJWKSet(new URL(o.jwksUrl), {
    cacheMaxAge: o.jwksCacheMs,
    cooldownDuration: o.jwksCooldownMs,
    timeoutDuration: o.jwksTimeoutMs,
  });
  const key: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (isTokenProblem(error)) throw error;
      hooks.report?.(error);
      throw new TidingsError('unavailable', 'the token signing keys could not be fetched', {
        retryAfterMs: hooks.retryAfterMs ?? 5000,
      });
    }
  };
  return { key, algorithms: options.algorithms ?? Object.keys(PUBLIC_KEY_ALGORITHMS) };
}

/** The key source of a (validated) `jwt` option. Nothing is fetched or imported until the first token. */
export function createKeySource(options: JwtOptions, hooks: JwtHooks = {}): KeySource {
  if ('secret' in options) {
    const { secret } = options;
    return {
      key: typeof secret === 'string' ? new TextEncoder().encode(secret) : new Uint8Array(secret),
      algorithms: options.algorithms ?? [HMAC_ALGORITHMS[0]!],
    };
  }
  return 'keys' in options ? inlineKeys(options, hooks) : remoteKeys(options, hooks);
}
