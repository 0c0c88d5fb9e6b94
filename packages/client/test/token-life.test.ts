import { signJwt } from '@tidings/core';
import { describe, expect, it } from 'vitest';
import { tokenLifeMs } from '../src/internal/token-life.ts';

const secret = 'a-test-secret-that-is-at-least-32-bytes-long';
const base64url = (json: object) => Buffer.from(JSON.stringify(json)).toString('base64url');

describe('tokenLifeMs (when to renew a token)', () => {
  it("reads a JWT's exp without verifying it", async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const life = tokenLifeMs(await signJwt({ sub: 'user', exp }, secret));
    expect(life).toBeGreaterThan(595_000);
    expect(life).toBeLessThanOrEqual(600_000);
    // Any signature: the server verifies, the client only schedules.
    expect(tokenLifeMs(`x.${base64url({ exp })}.forged`)).toBeGreaterThan(595_000);
  });

  it('decodes base64url payloads (with - and _), which atob alone refuses', () => {
    // "???" and ">>>" encode to characters 62 and 63: `_` and `-` in base64url.
    const payload = base64url({ exp: 2_000_000_000, n: '???>>>' });
    expect(payload).toMatch(/[-_]/);
    expect(tokenLifeMs(`h.${payload}.s`)).toBeCloseTo(2_000_000_000_000 - Date.now(), -4);
  });

  it('has no answer for an opaque token or one without exp: it is renewed when the server refuses it', () => {
    expect(tokenLifeMs('an-opaque-token')).toBeUndefined();
    expect(tokenLifeMs('a.b.c')).toBeUndefined();
    expect(tokenLifeMs(undefined)).toBeUndefined();
    expect(tokenLifeMs(`h.${base64url({ sub: 'user' })}.s`)).toBeNaN();
  });
});
