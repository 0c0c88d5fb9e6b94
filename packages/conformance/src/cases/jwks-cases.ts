import { signJwt } from '@tidings/core';
import { SignJWT } from 'jose';
import { describe, expect } from 'vitest';
import { openSse } from '../clients/sse-client.ts';
import { openWs } from '../clients/ws-client.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { createProviderKey, type JwksProvider, type ProviderKey } from '../jwks-server.ts';
import { spec } from './case-kit.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const inS = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

/** Opens every transport with `token`: the statuses of poll, long poll, SSE and the upgrade, and what the first-message socket got. */
async function acrossTransports(h: Harness, token: string, cleanup: (close: () => unknown) => void) {
  const topic = uniqueTopic();
  const headers = { authorization: `Bearer ${token}` };
  const statuses: Record<string, number> = {};
  for (const route of ['poll', 'long-poll']) {
    const res = await fetch(h.route(route, { topics: topic, timeout: '0' }), { headers });
    statuses[route] = res.status;
    await res.body?.cancel();
  }
  const sse = await openSse(h.route('sse', { topics: topic }), headers);
  cleanup(sse.close);
  statuses.sse = sse.response.status;
  try {
    const ws = await openWs(h.route('ws', { topics: topic }), { headers });
    cleanup(ws.close);
    await ws.waitFor('welcome');
    statuses.ws = 101;
  } catch (error) {
    statuses.ws = (error as { status?: number }).status ?? -1;
  }
  const first = await openWs(h.route('ws', { topics: topic }));
  cleanup(first.close);
  first.send({ type: 'auth', token });
  const firstFrame = await Promise.race([
    first.waitFor('welcome').then(() => 'welcome'),
    first.closed.then(({ code, reason }) => `${code} ${reason}`),
  ]);
  return { statuses, firstFrame };
}

const OPEN = { statuses: { poll: 200, 'long-poll': 200, sse: 200, ws: 101 }, firstFrame: 'welcome' };
const REFUSED = {
  statuses: { poll: 401, 'long-poll': 401, sse: 401, ws: 401 },
  firstFrame: '4401 unauthorized',
};

/** Tokens an identity provider signs (RS256, ES256), verified against its JWKS as the keys rotate. */
export function jwksCases(h: () => Harness, provider: () => JwksProvider): void {
  describe('JWKS (RS256 and ES256 from an identity provider)', () => {
    const cleanup = useCleanup();
    const keyOf = (alg: 'RS256' | 'ES256'): ProviderKey => provider().keys.find((k) => k.alg === alg)!;

    for (const alg of ['RS256', 'ES256'] as const) {
      spec(`an ${alg} token opens every transport, and a WebSocket by its first message`, async () => {
        const token = await keyOf(alg).sign({ sub: `${alg}-user`, role: 'subscriber', exp: inS(600) });
        expect(await acrossTransports(h(), token, cleanup)).toEqual(OPEN);
      });
    }

    spec('keys rotate mid-test: a new kid is fetched and accepted, a retired key is refused', async () => {
      const before = keyOf('ES256');
      const claims = { sub: 'rotating', role: 'subscriber', exp: inS(600) };
      const oldToken = await before.sign(claims);
      expect((await acrossTransports(h(), oldToken, cleanup)).statuses.poll).toBe(200);
      const next = await createProviderKey('ES256');
      provider().publish([keyOf('RS256'), next]);
      expect(await acrossTransports(h(), await next.sign(claims), cleanup)).toEqual(OPEN);
      expect(await acrossTransports(h(), oldToken, cleanup)).toEqual(REFUSED);
    });

    spec(
      'malformed, forged, expired and algorithm-confused tokens are 401 on all four transports, never 5xx',
      async () => {
        const rsa = keyOf('RS256');
        const claims = { sub: 'mallory', role: 'admin', exp: inS(600) };
        const stranger = await createProviderKey('RS256');
        const valid = await rsa.sign(claims);
        const [header, , signature] = valid.split('.') as [string, string, string];
        const bad: Record<string, string> = {
          garbage: 'not-a-jwt',
          'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
          'HS256 signed with the public key': await signJwt(claims, JSON.stringify(rsa.jwk)),
          'HS256 signed with the ticket secret': await signJwt(claims, h().config.jwtSecret),
          'a known kid, signed by another key': await stranger.sign(claims, { kid: rsa.kid }),
          'an unknown kid': await stranger.sign(claims),
          'PS256 with the RS256 key kid': await new SignJWT(claims)
            .setProtectedHeader({ alg: 'PS256', kid: rsa.kid })
            .sign(stranger.privateKey)
            .catch(() => `${b64({ alg: 'PS256', kid: rsa.kid })}.${b64(claims)}.${signature}`),
          'ES256 header on the RS256 kid': `${b64({ alg: 'ES256', kid: rsa.kid })}.${b64(claims)}.${signature}`,
          expired: await rsa.sign({ ...claims, exp: inS(-60) }),
          'not yet valid': await rsa.sign({ ...claims, nbf: inS(600) }),
          'tampered payload': `${header}.${b64({ ...claims, sub: 'root' })}.${signature}`,
        };
        for (const [name, token] of Object.entries(bad)) {
          expect(await acrossTransports(h(), token, cleanup), name).toEqual(REFUSED);
        }
      },
    );

    spec('a provider token refreshes an open WebSocket in band', async () => {
      const key = keyOf('RS256');
      const ws = await openWs(h().route('ws', { topics: uniqueTopic() }), {
        headers: { authorization: `Bearer ${await key.sign({ sub: 'fresh', exp: inS(5) })}` },
      });
      cleanup(ws.close);
      await ws.waitFor('welcome');
      const exp = inS(900);
      ws.send({ type: 'auth', token: await key.sign({ sub: 'fresh', exp }) });
      expect((await ws.waitFor('authenticated'))[0]).toEqual({
        type: 'authenticated',
        expiresAt: exp * 1000,
      });
    });
  });
}
