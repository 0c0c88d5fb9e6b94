import type { JwtOptions, JwtPublicKey } from './auth-options.ts';
import { isHmacAlgorithm, isPublicKeyAlgorithm, PUBLIC_KEY_ALGORITHMS } from './jwt-algorithms.ts';

// Members only a private (or symmetric) JWK has: a verification key must never carry them.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function byteLength(secret: unknown): number {
  if (typeof secret === 'string') return new TextEncoder().encode(secret).length;
  return secret instanceof Uint8Array ? secret.length : 0;
}

/** Refuses a secret shorter than 32 bytes (HS256's hash size): shorter ones can be brute-forced offline. */
export function checkSecret(secret: unknown, name: string): void {
  if (byteLength(secret) < 32) throw new TypeError(`${name} must be at least 32 bytes`);
}

function checkStrings(value: unknown, name: string): void {
  if (value === undefined) return;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((v) => typeof v === 'string' && v.length > 0)) {
    throw new TypeError(`${name} must be a non-empty string or a list of them`);
  }
}

function checkDuration(value: unknown, name: string, allowZero: boolean): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || (value as number) < (allowZero ? 0 : 1)) {
    throw new TypeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer (ms)`);
  }
}

function checkKey(key: JwtPublicKey, index: number): void {
  const name = `jwt.keys[${index}]`;
  if (typeof key !== 'object' || key === null) throw new TypeError(`${name} must be { jwk } or { pem, alg }`);
  if ('pem' in key) {
    if (!isPublicKeyAlgorithm(key.alg)) throw new TypeError(`${name}.alg must be a public-key algorithm`);
    const pem = typeof key.pem === 'string' ? key.pem.trim() : '';
    if (pem.includes('PRIVATE KEY')) throw new TypeError(`${name} is a private key: give its public key`);
    if (!/^-----BEGIN (PUBLIC KEY|CERTIFICATE)-----/.test(pem)) {
      throw new TypeError(`${name}.pem must be a PEM "PUBLIC KEY" or "CERTIFICATE"`);
    }
    return;
  }
  const jwk = (key as { jwk?: Record<string, unknown> }).jwk;
  if (typeof jwk !== 'object' || jwk === null) throw new TypeError(`${name} must be { jwk } or { pem, alg }`);
  if (PRIVATE_MEMBERS.some((m) => m in jwk)) {
    throw new TypeError(`${name}.jwk holds private or secret key material: give the public key only`);
  }
  const alg = key.alg ?? jwk.alg;
  if (!isPublicKeyAlgorithm(alg)) {
    throw new TypeError(
      `${name} needs its algorithm (alg, in the key or the JWK): one public-key algorithm per key`,
    );
  }
  const wanted = PUBLIC_KEY_ALGORITHMS[alg];
  if (jwk.kty !== wanted.kty || (wanted.crv && !wanted.crv.includes(jwk.crv as string))) {
    throw new TypeError(
      `${name} is not a ${wanted.kty}${wanted.crv ? ` ${wanted.crv[0]}` : ''} key, as ${alg} needs`,
    );
  }
  if (jwk.alg !== undefined && jwk.alg !== alg)
    throw new TypeError(`${name}: alg disagrees with the JWK's alg`);
}

function checkUrl(value: unknown): void {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new TypeError('jwt.jwksUrl must be an absolute URL');
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return;
  // A key set fetched over plain HTTP could be replaced on the way: anyone could then sign tokens.
  throw new TypeError('jwt.jwksUrl must be https: (http: only on localhost)');
}

/** Validates the `jwt` option at `createHub` time; throws a TypeError naming the fix. Secrets never appear in a message. */
export function checkJwtOptions(jwt: JwtOptions): void {
  if (typeof jwt !== 'object' || jwt === null) throw new TypeError('jwt must be an object');
  const schemes = (['secret', 'keys', 'jwksUrl'] as const).filter((k) => k in jwt);
  if (schemes.length !== 1) {
    throw new TypeError('jwt needs exactly one of secret (HMAC), keys (public keys) or jwksUrl (a JWKS)');
  }
  if ('leewayS' in jwt) throw new TypeError('jwt.leewayS was renamed jwt.leewayMs (in ms)');
  checkDuration(jwt.leewayMs, 'jwt.leewayMs', true);
  checkStrings(jwt.issuer, 'jwt.issuer');
  checkStrings(jwt.audience, 'jwt.audience');
  const algorithms: unknown[] | undefined = jwt.algorithms;
  if (algorithms !== undefined && (!Array.isArray(algorithms) || algorithms.length === 0)) {
    throw new TypeError('jwt.algorithms must be a non-empty list');
  }
  if ('secret' in jwt) {
    checkSecret(jwt.secret, 'jwt.secret');
    for (const alg of algorithms ?? []) {
      if (!isHmacAlgorithm(alg)) {
        throw new TypeError(`unsupported jwt algorithm ${alg} with a secret: HS256, HS384 or HS512`);
      }
    }
    return;
  }
  for (const alg of algorithms ?? []) {
    if (!isPublicKeyAlgorithm(alg)) {
      throw new TypeError(
        `unsupported jwt algorithm ${alg} with public keys (HMAC needs jwt.secret; none is never accepted)`,
      );
    }
  }
  if ('keys' in jwt) {
    if (!Array.isArray(jwt.keys) || jwt.keys.length === 0)
      throw new TypeError('jwt.keys must be a non-empty list');
    jwt.keys.forEach(checkKey);
    return;
  }
  checkUrl(jwt.jwksUrl);
  checkDuration(jwt.jwksCacheMs, 'jwt.jwksCacheMs', false);
  checkDuration(jwt.jwksCooldownMs, 'jwt.jwksCooldownMs', true);
  checkDuration(jwt.jwksTimeoutMs, 'jwt.jwksTimeoutMs', false);
}
