import { errors, type JWTPayload, type JWTVerifyOptions, jwtVerify, SignJWT } from 'jose';
import { isTidingsError, TidingsError } from '../errors.ts';
import type { Principal } from '../principal.ts';
// Tokens longer than this are refused before any parsing or crypto: a cheap bound on attacker input.
import { MAX_TOKEN_LENGTH } from '../protocol/messages.ts';
import type { HmacAlgorithm, JwtOptions } from './auth-options.ts';
import { createKeySource, type JwtHooks } from './jwt-keys.ts';

// Every refusal is the same error: telling an attacker which check failed helps them, and the
// token itself must never reach a message or a log.
const invalid = (): TidingsError => new TidingsError('unauthorized', 'invalid or expired token');

/** Verifies one token and returns its principal; `nowMs` overrides the clock (tests). */
export type JwtVerifier = (token: string, nowMs?: number) => Promise<Principal>;

function toPrincipal(claims: JWTPayload, leewayMs: number): Principal {
  const principal: Principal = { claims: claims as Record<string, unknown> };
  if (typeof claims.sub === 'string') principal.id = claims.sub;
  if (typeof claims.exp === 'number') principal.expiresAt = claims.exp * 1000 + leewayMs;
  return principal;
}

/**
 * Builds the verifier of a `jwt` option, with `jose` on WebCrypto. The token's `alg` must be one the
 * option allows (`none` never is), and is pinned to its key: an HMAC secret verifies only HS*, a
 * public key only its own algorithm, so algorithm confusion is refused. `exp`/`nbf` are checked with
 * the leeway, `iss`/`aud` when configured. A bad token is always the same `unauthorized`; a key set
 * that cannot be fetched is `unavailable` (503), reported through `hooks.report`.
 */
export function createJwtVerifier(options: JwtOptions, hooks: JwtHooks = {}): JwtVerifier {
  const source = createKeySource(options, hooks);
  const leewayMs = options.leewayMs ?? 5000;
  const base: JWTVerifyOptions = { algorithms: source.algorithms, clockTolerance: leewayMs / 1000 };
  if (options.issuer !== undefined) base.issuer = options.issuer;
  if (options.audience !== undefined) base.audience = options.audience;
  return async (token, nowMs) => {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalid();
    const checks = nowMs === undefined ? base : { ...base, currentDate: new Date(nowMs) };
    try {
      const key = source.key;
      const { payload } =
        typeof key === 'function' ? await jwtVerify(token, key, checks) : await jwtVerify(token, key, checks);
      return toPrincipal(payload, leewayMs);
    } catch (error) {
      if (isTidingsError(error)) throw error;
      if (error instanceof errors.JWKSMultipleMatchingKeys) {
        // Several keys fit (no `kid`, a set mid-rotation): the signature picks one.
        for await (const key of error) {
          try {
            return toPrincipal((await jwtVerify(token, key, checks)).payload, leewayMs);
          } catch {
            // The next candidate, then the one refusal below.
          }
        }
      }
      throw invalid();
    }
  };
}

const verifiers = new WeakMap<JwtOptions, JwtVerifier>();

/**
 * Verifies a JWT with the same rules as the hub's `jwt` option and returns the principal it names
 * (`sub` → `id`, `exp` + leeway → `expiresAt`, every claim → `claims`). For an `authenticate` that
 * combines JWTs with something else. The verifier (and a JWKS cache) is kept per options object:
 * pass the same object each time. Throws the `unauthorized` TidingsError for any bad token.
 */
export function verifyJwt(token: string, options: JwtOptions, nowMs?: number): Promise<Principal> {
  let verify = verifiers.get(options);
  if (!verify) {
    verify = createJwtVerifier(options);
    verifiers.set(options, verify);
  }
  return verify(token, nowMs);
}

/**
 * Signs claims as a compact HMAC JWT. For tests, examples and apps that mint their own short-lived
 * tokens; `exp` is in seconds since the epoch as the JWT spec says. Tokens from an identity
 * provider are signed by the provider, never here.
 */
export async function signJwt(
  claims: Record<string, unknown>,
  secret: string | Uint8Array,
  alg: HmacAlgorithm = 'HS256',
): Promise<string> {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
}
