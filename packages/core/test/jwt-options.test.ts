import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { createHub, HUB_DEFAULTS, type HubOptions } from '../src/index.ts';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const rsa = await generateKeyPair('RS256', { extractable: true });
const ec = await generateKeyPair('ES256', { extractable: true });
const rsaJwk = { ...(await exportJWK(rsa.publicKey)), alg: 'RS256' };
const ecJwk = await exportJWK(ec.publicKey);
const rsaPem = await exportSPKI(rsa.publicKey);
const privatePem = await exportPKCS8(rsa.privateKey);
const privateJwk = await exportJWK(rsa.privateKey);

const bad = (jwt: unknown) => ({ jwt }) as HubOptions;

describe('createHub validates the jwt option with a TypeError', () => {
  const cases: [string, HubOptions, RegExp][] = [
    ['none of secret, keys, jwksUrl', bad({ issuer: 'x' }), /exactly one of/],
    ['two schemes at once', bad({ secret: SECRET, jwksUrl: 'https://idp.test/jwks' }), /exactly one of/],
    ['an RS algorithm with a secret', bad({ secret: SECRET, algorithms: ['RS256'] }), /HS256/],
    ['an HS algorithm with keys', bad({ keys: [{ jwk: rsaJwk }], algorithms: ['HS256'] }), /jwt.secret/],
    ['none with a JWKS', bad({ jwksUrl: 'https://idp.test/jwks', algorithms: ['none'] }), /none is never/],
    ['an empty algorithms list', bad({ secret: SECRET, algorithms: [] }), /non-empty/],
    ['an empty keys list', bad({ keys: [] }), /non-empty/],
    ['a JWK without alg', bad({ keys: [{ jwk: ecJwk }] }), /needs its algorithm/],
    ['a JWK of the wrong type for its alg', bad({ keys: [{ jwk: ecJwk, alg: 'RS256' }] }), /RSA/],
    ['a JWK with the wrong curve', bad({ keys: [{ jwk: ecJwk, alg: 'ES384' }] }), /P-384/],
    ['alg disagreeing with the JWK', bad({ keys: [{ jwk: rsaJwk, alg: 'PS256' }] }), /disagrees/],
    ['a private JWK', bad({ keys: [{ jwk: { ...privateJwk, alg: 'RS256' } }] }), /private/],
    [
      'a symmetric JWK',
      bad({ keys: [{ jwk: { kty: 'oct', k: 'abc', alg: 'HS256' } }] }),
      /private or secret/,
    ],
    ['a private PEM', bad({ keys: [{ pem: privatePem, alg: 'RS256' }] }), /private key/],
    ['a PEM without alg', bad({ keys: [{ pem: rsaPem }] }), /alg/],
    ['not a PEM', bad({ keys: [{ pem: 'hello', alg: 'RS256' }] }), /PUBLIC KEY/],
    ['a relative JWKS URL', bad({ jwksUrl: '/jwks.json' }), /absolute/],
    ['a plain-http JWKS URL off loopback', bad({ jwksUrl: 'http://idp.test/jwks' }), /https/],
    ['jwksCacheMs 0', bad({ jwksUrl: 'https://idp.test/jwks', jwksCacheMs: 0 }), /jwksCacheMs/],
    [
      'a fractional jwksTimeoutMs',
      bad({ jwksUrl: 'https://idp.test/jwks', jwksTimeoutMs: 1.5 }),
      /jwksTimeoutMs/,
    ],
    ['a negative cooldown', bad({ jwksUrl: 'https://idp.test/jwks', jwksCooldownMs: -1 }), /jwksCooldownMs/],
    ['an empty issuer list', bad({ secret: SECRET, issuer: [] }), /jwt.issuer/],
    ['a non-string audience', bad({ secret: SECRET, audience: 5 }), /jwt.audience/],
    ['leewayS', bad({ secret: SECRET, leewayS: 5 }), /leewayMs/],
    ['a short ticket secret', { anonymous: true, tickets: { secret: 'short' } }, /tickets.secret/],
    [
      'a ticket ttl over its max',
      { anonymous: true, tickets: { ttlMs: 10_000, maxTtlMs: 5000 } },
      /maxTtlMs/,
    ],
    ['authTimeoutMs 0', { anonymous: true, authTimeoutMs: 0 }, /authTimeoutMs/],
  ];

  it.each(cases)('%s', (_name, options, message) => {
    expect(() => createHub(options)).toThrow(TypeError);
    expect(() => createHub(options)).toThrow(message);
  });

  it('never echoes key material or secrets in its messages', () => {
    for (const options of [
      bad({ keys: [{ pem: privatePem, alg: 'RS256' }] }),
      bad({ secret: 'short-secret' }),
    ]) {
      try {
        createHub(options);
        expect.unreachable();
      } catch (error) {
        expect((error as Error).message).not.toContain('MII');
        expect((error as Error).message).not.toContain('short-secret');
      }
    }
  });

  it('accepts each scheme, http: JWKS URLs on loopback, and shows the public parts in hub.options', async () => {
    const hubs = [
      createHub({ jwt: { secret: SECRET, algorithms: ['HS256', 'HS512'], issuer: ['a', 'b'] } }),
      createHub({ jwt: { keys: [{ jwk: rsaJwk }, { pem: rsaPem, alg: 'PS256', kid: 'p' }] } }),
      createHub({ jwt: { jwksUrl: 'http://127.0.0.1:1/jwks.json', jwksCacheMs: 1000, jwksCooldownMs: 0 } }),
      createHub({ jwt: { jwksUrl: 'https://idp.test/.well-known/jwks.json', audience: 'api' } }),
    ];
    expect(hubs[2]!.options.jwt).toMatchObject({ jwksUrl: 'http://127.0.0.1:1/jwks.json' });
    expect(JSON.stringify(hubs[0]!.options)).not.toContain(SECRET);
    for (const hub of hubs) await hub.close();
  });

  it('tokenInQuery is off and authTimeoutMs is 5000 by default', () => {
    expect(HUB_DEFAULTS.tokenInQuery).toBe(false);
    expect(HUB_DEFAULTS.authTimeoutMs).toBe(5000);
  });
});
