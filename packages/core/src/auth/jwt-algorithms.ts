import type { HmacAlgorithm, PublicKeyAlgorithm } from './auth-options.ts';

/** The HMAC algorithms, the only ones a shared secret verifies. */
export const HMAC_ALGORITHMS: readonly HmacAlgorithm[] = ['HS256', 'HS384', 'HS512'];

/** The public-key algorithms, with the JWK key type (and curve) each one needs. */
export const PUBLIC_KEY_ALGORITHMS: Readonly<Record<PublicKeyAlgorithm, { kty: string; crv?: string[] }>> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: ['P-256'] },
  ES384: { kty: 'EC', crv: ['P-384'] },
  ES512: { kty: 'EC', crv: ['P-521'] },
  EdDSA: { kty: 'OKP', crv: ['Ed25519'] },
};

/** Returns true for a public-key algorithm the hub verifies. */
export function isPublicKeyAlgorithm(value: unknown): value is PublicKeyAlgorithm {
  return typeof value === 'string' && Object.hasOwn(PUBLIC_KEY_ALGORITHMS, value);
}

/** Returns true for an HMAC algorithm. */
export function isHmacAlgorithm(value: unknown): value is HmacAlgorithm {
  return (HMAC_ALGORITHMS as readonly unknown[]).includes(value);
}
