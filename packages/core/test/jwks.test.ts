import { afterEach, describe, expect, it } from 'vitest';
import { createHub, type ErrorInfo, type Hub, type HubOptions } from '../src/index.ts';
import { createProviderKey, type JwksServer, startJwksServer } from './support/jwks-server.ts';

// A real JWKS endpoint on loopback and real timers: the cache, the rotation refetch and the fetch
// timeout are jose's, driven by the hub's options, and are observed by counting fetches.
const open: { hubs: Hub[]; servers: JwksServer[] } = { hubs: [], servers: [] };

afterEach(async () => {
  for (const hub of open.hubs.splice(0)) await hub.close();
  for (const server of open.servers.splice(0)) await server.close();
});

async function setup(jwt: Partial<Extract<HubOptions['jwt'], { jwksUrl: string }>> = {}) {
  const first = await createProviderKey('RS256', 'k1');
  const server = await startJwksServer([first]);
  open.servers.push(server);
  const reports: { error: unknown; info: ErrorInfo }[] = [];
  const hub = createHub({
    jwt: { jwksUrl: server.url, ...jwt },
    onError: (error, info) => reports.push({ error, info }),
  });
  open.hubs.push(hub);
  const poll = async (token: string) => {
    const response = await hub.handle(
      new Request('http://hub.test/realtime/poll?topics=a', {
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    await response.body?.cancel();
    return response;
  };
  return { first, server, hub, reports, poll };
}

const exp = () => Math.floor(Date.now() / 1000) + 600;

describe('JWKS: keys fetched from an identity provider', () => {
  it('fetches the set once, lazily, and serves many tokens from the cache', async () => {
    const { first, server, poll } = await setup();
    expect(server.fetches).toBe(0);
    for (let i = 0; i < 5; i++)
      expect((await poll(await first.sign({ sub: `u${i}`, exp: exp() }))).status).toBe(200);
    expect(server.fetches).toBe(1);
  });

  it('a rotated key (new kid) makes one refetch; a retired key stops verifying', async () => {
    const { first, server, poll } = await setup({ jwksCooldownMs: 0 });
    expect((await poll(await first.sign({ sub: 'a', exp: exp() }))).status).toBe(200);
    const second = await createProviderKey('ES256', 'k2');
    server.publish([first, second]);
    expect((await poll(await second.sign({ sub: 'b', exp: exp() }))).status).toBe(200);
    expect(server.fetches).toBe(2);
    // The provider retires the first key and adds a third: a token of the third makes the refetch,
    // and from then on tokens of the retired key are refused.
    const third = await createProviderKey('ES256', 'k3');
    server.publish([second, third]);
    expect((await poll(await third.sign({ sub: 'c', exp: exp() }))).status).toBe(200);
    expect(server.fetches).toBe(3);
    expect((await poll(await first.sign({ sub: 'a', exp: exp() }))).status).toBe(401);
    expect((await poll(await second.sign({ sub: 'b', exp: exp() }))).status).toBe(200);
  });

  it('rate-limits refetches: forged kids within jwksCooldownMs never reach the provider', async () => {
    const { first, server, poll } = await setup({ jwksCooldownMs: 60_000 });
    expect((await poll(await first.sign({ sub: 'a', exp: exp() }))).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const forged = await createProviderKey('RS256', `forged-${i}`);
      expect((await poll(await forged.sign({ sub: 'm', exp: exp() }))).status).toBe(401);
    }
    expect(server.fetches).toBe(1);
  });

  it('a provider that does not answer within jwksTimeoutMs gets 503 with Retry-After, reported as stage jwks without the token', async () => {
    const { first, server, poll, reports } = await setup({ jwksTimeoutMs: 200 });
    server.mode = 'stall';
    const token = await first.sign({ sub: 'a', exp: exp() });
    const response = await poll(token);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(reports.map((r) => r.info)).toEqual([{ stage: 'jwks' }]);
    expect(String(reports[0]!.error)).not.toContain(token);
    server.mode = 'ok';
    expect((await poll(token)).status).toBe(200);
  });

  it('a provider that answers 500 is a 503, not a 401 and not a 500', async () => {
    const { first, server, poll, reports } = await setup();
    server.mode = 'broken';
    expect((await poll(await first.sign({ sub: 'a', exp: exp() }))).status).toBe(503);
    expect(reports[0]?.info.stage).toBe('jwks');
  });

  it('an HMAC token, alg none or an expired token are 401 without fetching anything', async () => {
    const { first, server, poll } = await setup();
    const { signJwt } = await import('../src/index.ts');
    const hmac = await signJwt({ sub: 'm', exp: exp() }, JSON.stringify(first.jwk));
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    expect((await poll(hmac)).status).toBe(401);
    expect((await poll(`${b64({ alg: 'none' })}.${b64({ sub: 'm' })}.`)).status).toBe(401);
    expect(server.fetches).toBe(0);
    expect((await poll(await first.sign({ sub: 'a', exp: Math.floor(Date.now() / 1000) - 60 }))).status).toBe(
      401,
    );
  });
});
