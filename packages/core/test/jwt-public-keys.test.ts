import { exportJWK, exportSPKI, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  createHub,
  isTidingsError,
  type JwtOptions,
  type PublicKeyAlgorithm,
  signJwt,
  verifyJwt,
} from '../src/index.ts';

// Real keys, generated here with jose on WebCrypto, and real clocks: no fake timers in this file.
const nowS = () => Math.floor(Date.now() / 1000);

async function keyPair(alg: PublicKeyAlgorithm, kid?: string) {
  const pair = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), alg };
  if (kid) jwk.kid = kid;
  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT(claims).setProtectedHeader({ alg, ...(kid ? { kid } : {}), ...header }).sign(pair.privateKey);
  return { ...pair, jwk, pem: await exportSPKI(pair.publicKey), sign };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isTidingsError(error) ? error.code : `not a TidingsError: ${String(error)}`;
  }
  return 'accepted';
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('public-key JWTs with inline keys', () => {
  const algorithms: PublicKeyAlgorithm[] = [
    'RS256',
    'RS384',
    'RS512',
    'PS256',
    'PS384',
    'PS512',
    'ES256',
    'ES384',
    'ES512',
    'EdDSA',
  ];

  it.each(algorithms)(
    'verifies %s with the key as a JWK and as a PEM, and gives the principal',
    async (alg) => {
      const key = await keyPair(alg);
      const exp = nowS() + 60;
      const token = await key.sign({ sub: 'ann', exp, role: 'reader' });
      for (const options of [
        { keys: [{ jwk: key.jwk }] },
        { keys: [{ pem: key.pem, alg }] },
      ] as JwtOptions[]) {
        const principal = await verifyJwt(token, options);
        expect(principal.id).toBe('ann');
        expect(principal.claims?.role).toBe('reader');
        expect(principal.expiresAt).toBe(exp * 1000 + 5000);
      }
    },
  );

  it('picks the key named by kid, and refuses a kid it does not have', async () => {
    const a = await keyPair('ES256', 'a');
    const b = await keyPair('ES256', 'b');
    const options: JwtOptions = { keys: [{ jwk: a.jwk }, { jwk: b.jwk }] };
    expect((await verifyJwt(await a.sign({ sub: 'from-a' }), options)).id).toBe('from-a');
    expect((await verifyJwt(await b.sign({ sub: 'from-b' }), options)).id).toBe('from-b');
    expect(await refusal(verifyJwt(await a.sign({ sub: 'x' }, { kid: 'c' }), options))).toBe('unauthorized');
    // Signed by a, but claiming to be b: b's key does not verify it.
    expect(await refusal(verifyJwt(await a.sign({ sub: 'x' }, { kid: 'b' }), options))).toBe('unauthorized');
  });

  it('tries every key of the token algorithm when the token names no kid', async () => {
    const a = await keyPair('RS256');
    const b = await keyPair('RS256');
    const options: JwtOptions = { keys: [{ jwk: a.jwk }, { jwk: b.jwk }] };
    expect((await verifyJwt(await b.sign({ sub: 'b' }), options)).id).toBe('b');
    const stranger = await keyPair('RS256');
    expect(await refusal(verifyJwt(await stranger.sign({ sub: 'x' }), options))).toBe('unauthorized');
  });

  it('refuses algorithm confusion: an HMAC token signed with the public key, another family, another RSA scheme', async () => {
    const rsa = await keyPair('RS256');
    const options: JwtOptions = { keys: [{ pem: rsa.pem, alg: 'RS256' }] };
    const claims = { sub: 'mallory', exp: nowS() + 60 };
    // The classic attack: the public key (which anyone has) used as an HMAC secret.
    const hmacWithPublicKey = await signJwt(claims, rsa.pem);
    const hmacWithJwkText = await signJwt(claims, JSON.stringify(rsa.jwk));
    const ec = await keyPair('ES256');
    const ecToken = await ec.sign(claims);
    // Same RSA key pair, but PS256: the key is pinned to RS256.
    const psKey = await importJWK({ ...(await exportJWK(rsa.privateKey)), alg: 'PS256' }, 'PS256');
    const ps = await new SignJWT(claims).setProtectedHeader({ alg: 'PS256' }).sign(psKey);
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    for (const token of [hmacWithPublicKey, hmacWithJwkText, ecToken, ps, none]) {
      expect(await refusal(verifyJwt(token, options))).toBe('unauthorized');
    }
    expect((await verifyJwt(await rsa.sign(claims), options)).id).toBe('mallory');
  });

  it('refuses an RS256 token on a hub with an HMAC secret, even if the secret were the public key', async () => {
    const rsa = await keyPair('RS256');
    const secret = 'a-test-secret-that-is-at-least-32-bytes-long';
    const token = await rsa.sign({ sub: 'x' });
    expect(await refusal(verifyJwt(token, { secret }))).toBe('unauthorized');
    expect(await refusal(verifyJwt(token, { secret: rsa.pem }))).toBe('unauthorized');
  });

  it('checks exp, nbf, iss (one of a list) and aud with the leeway in ms', async () => {
    const key = await keyPair('ES256');
    const base = { keys: [{ jwk: key.jwk }], issuer: ['https://a.test', 'https://b.test'], audience: 'api' };
    const options: JwtOptions = { ...base, leewayMs: 2000 };
    const ok = { iss: 'https://b.test', aud: ['api', 'other'] };
    expect((await verifyJwt(await key.sign({ ...ok, sub: 's' }), options)).id).toBe('s');
    const cases = {
      expired: { ...ok, exp: nowS() - 10 },
      'not yet valid': { ...ok, nbf: nowS() + 10 },
      'other issuer': { ...ok, iss: 'https://evil.test' },
      'no issuer': { aud: 'api' },
      'other audience': { ...ok, aud: 'elsewhere' },
    };
    for (const [name, claims] of Object.entries(cases)) {
      expect(await refusal(verifyJwt(await key.sign(claims), options)), name).toBe('unauthorized');
    }
    // Within the leeway: a token whose exp is this second has expired (exp ≤ now, in the whole
    // seconds JWTs count), so without leeway it is refused, and with 2 s of it accepted. (With
    // exp a second ago instead, a second boundary crossed while a busy machine signs puts it at the
    // edge of the leeway, and it is refused: this test once failed so under load.)
    const justExpired = await key.sign({ ...ok, sub: 'l', exp: nowS() });
    expect(await refusal(verifyJwt(justExpired, { ...base, leewayMs: 0 })), 'no leeway').toBe('unauthorized');
    expect((await verifyJwt(justExpired, options)).id).toBe('l');
  });

  it('refuses malformed tokens with the same unauthorized, never a crash', async () => {
    const key = await keyPair('ES256');
    const options: JwtOptions = { keys: [{ jwk: key.jwk }] };
    const good = await key.sign({ sub: 'x' });
    const [header, payload] = good.split('.') as [string, string];
    for (const token of [
      '',
      'a.b',
      'a.b.c.d',
      `${header}.${payload}.`,
      `${header}.${payload}.!!!`,
      `${b64({ alg: 'ES256', crit: ['exp'] })}.${payload}.${good.split('.')[2]}`,
      `${'x'.repeat(9000)}.a.b`,
      `${b64('not an object')}.${payload}.AAAA`,
    ]) {
      expect(await refusal(verifyJwt(token, options))).toBe('unauthorized');
    }
  });

  it('a key that does not import is reported once as stage jwks and answers 500 misconfigured, not 401', async () => {
    const key = await keyPair('ES256');
    const reports: unknown[] = [];
    // A point that is not on the P-256 curve: WebCrypto refuses to import it.
    const broken = { ...key.jwk, y: key.jwk.x };
    const hub = createHub({
      jwt: { keys: [{ jwk: broken }] },
      onError: (_error, info) => reports.push(info),
    });
    const response = await hub.handle(
      new Request('http://hub.test/realtime/poll?topics=a', {
        headers: { authorization: `Bearer ${await key.sign({ sub: 'x' })}` },
      }),
    );
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('misconfigured');
    expect(reports).toEqual([{ stage: 'jwks' }]);
    await hub.close();
  });
});
