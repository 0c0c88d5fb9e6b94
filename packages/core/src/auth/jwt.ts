import { TidingsError } from '../errors.ts';
import type { JwtOptions } from '../options.ts';
import type { Principal } from '../principal.ts';
import { fromBase64Url, toBase64Url } from './base64url.ts';

/** HMAC algorithms supported for JWTs. */
export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512';

const HASH: Record<JwtAlgorithm, string> = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' };
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
// Tokens longer than this are refused before any crypto work: a cheap bound on attacker input.
const MAX_TOKEN_LENGTH = 8192;

function keyBytes(secret: string | Uint8Array): Uint8Array<ArrayBuffer> {
  return typeof secret === 'string' ? encoder.encode(secret) : new Uint8Array(secret);
}

async function importKey(
  secret: string | Uint8Array,
  alg: JwtAlgorithm,
  usage: 'sign' | 'verify',
): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', keyBytes(secret), { name: 'HMAC', hash: HASH[alg] }, false, [usage]);
}

function parseJson(bytes: Uint8Array | undefined): Record<string, unknown> | undefined {
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

// Every refusal is the same error: telling an attacker which check failed helps them, and the
// token itself must never reach a message or a log.
const invalid = (): TidingsError => new TidingsError('unauthorized', 'invalid or expired token');

/**
 * Verifies an HS256/HS384/HS512 JWT with WebCrypto and returns the principal it names. The
 * signature check is `crypto.subtle.verify`, which compares in constant time. `alg: none`, any
 * algorithm outside `options.algorithms`, malformed tokens, and failed `exp`/`nbf`/`aud`/`iss`
 * checks all throw the same `unauthorized` TidingsError.
 */
export async function verifyJwt(
  token: string,
  options: JwtOptions,
  now: number = Date.now(),
): Promise<Principal> {
  if (token.length > MAX_TOKEN_LENGTH) throw invalid();
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid();
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = parseJson(fromBase64Url(headerPart));
  const algorithms = options.algorithms ?? ['HS256'];
  const alg = header?.alg;
  if (typeof alg !== 'string' || !(algorithms as string[]).includes(alg)) throw invalid();
  if (header && 'crit' in header) throw invalid();
  const signature = fromBase64Url(signaturePart);
  if (!signature) throw invalid();
  const key = await importKey(options.secret, alg as JwtAlgorithm, 'verify');
  const signed = encoder.encode(`${headerPart}.${payloadPart}`);
  if (!(await crypto.subtle.verify('HMAC', key, new Uint8Array(signature), signed))) throw invalid();
  const claims = parseJson(fromBase64Url(payloadPart));
  if (!claims) throw invalid();
  const leewayMs = (options.leewayS ?? 5) * 1000;
  const { exp, nbf, aud, iss, sub } = claims;
  if (exp !== undefined && (typeof exp !== 'number' || exp * 1000 + leewayMs <= now)) throw invalid();
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf * 1000 - leewayMs > now)) throw invalid();
  if (options.audience !== undefined) {
    const audiences = Array.isArray(aud) ? aud : [aud];
    if (!audiences.includes(options.audience)) throw invalid();
  }
  if (options.issuer !== undefined && iss !== options.issuer) throw invalid();
  const principal: Principal = { claims };
  if (typeof sub === 'string') principal.id = sub;
  if (typeof exp === 'number') principal.expiresAt = exp * 1000 + leewayMs;
  return principal;
}

/**
 * Signs claims as a compact JWT. For tests, examples and apps that mint their own short-lived
 * tokens; `exp` is in seconds since the epoch as the JWT spec says.
 */
export async function signJwt(
  claims: Record<string, unknown>,
  secret: string | Uint8Array,
  alg: JwtAlgorithm = 'HS256',
): Promise<string> {
  const header = toBase64Url(encoder.encode(JSON.stringify({ alg, typ: 'JWT' })));
  const payload = toBase64Url(encoder.encode(JSON.stringify(claims)));
  const key = await importKey(secret, alg, 'sign');
  const signature = await crypto.subtle.sign('HMAC', key, encoder.encode(`${header}.${payload}`));
  return `${header}.${payload}.${toBase64Url(new Uint8Array(signature))}`;
}
