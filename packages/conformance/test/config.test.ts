import { createHub, signJwt } from '@tidings/core';
import { describe, expect, it } from 'vitest';
import { CONFORMANCE_SECRET, conformanceAuthorize, toHubOptions } from '../src/config.ts';
import { SUITE_CONFIGS } from '../src/suite.ts';

describe('toHubOptions', () => {
  it('maps every config field and adds JWT verification and the fixed authorize rule', () => {
    const options = toHubOptions({
      jwtSecret: CONFORMANCE_SECRET,
      maxConnections: 7,
      heartbeatMs: 300,
      jwtLeewayMs: 2000,
    });
    expect(options).toMatchObject({
      maxConnections: 7,
      heartbeatMs: 300,
      jwt: { secret: CONFORMANCE_SECRET, leewayMs: 2000 },
      authorize: conformanceAuthorize,
    });
    expect('jwtSecret' in options).toBe(false);
  });

  it('every suite config is JSON-serialisable and builds a valid hub', async () => {
    for (const [name, config] of Object.entries(SUITE_CONFIGS)) {
      const copy = JSON.parse(JSON.stringify(config));
      expect(copy, name).toEqual(config);
      const hub = createHub(toHubOptions(copy));
      expect(hub.options.heartbeatMs, name).toBe(config.heartbeatMs);
      await hub.close();
    }
  });

  it('authorize: publishers publish, private topics need admin', async () => {
    const as = (role?: string) => (role ? { claims: { role } } : {});
    expect(conformanceAuthorize(as('subscriber'), 'news', 'subscribe')).toBe(true);
    expect(conformanceAuthorize(as(), 'news', 'subscribe')).toBe(true);
    expect(conformanceAuthorize(as('subscriber'), 'news', 'publish')).toBe(false);
    expect(conformanceAuthorize(as('publisher'), 'news', 'publish')).toBe(true);
    expect(conformanceAuthorize(as('admin'), 'news', 'publish')).toBe(true);
    expect(conformanceAuthorize(as('publisher'), 'private.x', 'subscribe')).toBe(false);
    expect(conformanceAuthorize(as('publisher'), 'private.x', 'publish')).toBe(false);
    expect(conformanceAuthorize(as('admin'), 'private.x', 'subscribe')).toBe(true);
    // Through a real hub: a publisher token may POST, a subscriber token may not.
    const hub = createHub(toHubOptions({ jwtSecret: CONFORMANCE_SECRET }));
    const post = async (role: string) => {
      const token = await signJwt({ role, sub: role }, CONFORMANCE_SECRET);
      const res = await hub.handle(
        new Request('http://localhost/realtime/publish', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          body: JSON.stringify({ topic: 'news', data: 1 }),
        }),
      );
      return res?.status;
    };
    expect(await post('publisher')).toBe(202);
    expect(await post('subscriber')).toBe(403);
    await hub.close();
  });
});
