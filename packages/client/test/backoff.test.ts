import { describe, expect, it } from 'vitest';
import { createBackoff } from '../src/internal/backoff.ts';

/** A deterministic random source cycling through `values`. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('backoff', () => {
  it('draws each delay from the whole range below a ceiling that doubles per attempt', () => {
    const top = createBackoff({ reconnectDelayMs: 100, maxReconnectDelayMs: 10_000, random: () => 0.999999 });
    expect(Array.from({ length: 5 }, () => top.next())).toEqual([99, 199, 399, 799, 1599]);
    const bottom = createBackoff({ reconnectDelayMs: 100, maxReconnectDelayMs: 10_000, random: () => 0 });
    expect(Array.from({ length: 5 }, () => bottom.next())).toEqual([0, 0, 0, 0, 0]);
    const middle = createBackoff({ reconnectDelayMs: 100, maxReconnectDelayMs: 10_000, random: () => 0.5 });
    expect(Array.from({ length: 4 }, () => middle.next())).toEqual([50, 100, 200, 400]);
  });

  it('caps the ceiling, and keeps jittering after the cap', () => {
    const backoff = createBackoff({
      reconnectDelayMs: 100,
      maxReconnectDelayMs: 1000,
      random: sequence(0.9, 0.2, 0.6, 0.35),
    });
    const delays = Array.from({ length: 12 }, () => backoff.next());
    const capped = delays.slice(4);
    for (const delay of capped) expect(delay).toBeLessThan(1000);
    expect(capped).toEqual([900, 200, 600, 350, 900, 200, 600, 350]);
    expect(new Set(capped).size).toBeGreaterThan(1);
  });

  it('gives two clients with the same settings different delays (default Math.random)', () => {
    const a = createBackoff({ reconnectDelayMs: 500, maxReconnectDelayMs: 20_000, random: Math.random });
    const b = createBackoff({ reconnectDelayMs: 500, maxReconnectDelayMs: 20_000, random: Math.random });
    const da = Array.from({ length: 10 }, () => a.next());
    const db = Array.from({ length: 10 }, () => b.next());
    expect(da).not.toEqual(db);
    // Past the cap (attempt 6 onwards: 500·2^6 > 20000) they still differ from each other and from the cap.
    expect(da.slice(6)).not.toEqual(db.slice(6));
    expect(da.slice(6).every((d) => d === 20_000)).toBe(false);
  });

  it('counts attempts and starts over when set back to 0', () => {
    const backoff = createBackoff({
      reconnectDelayMs: 100,
      maxReconnectDelayMs: 10_000,
      random: () => 0.999999,
    });
    backoff.next();
    backoff.next();
    expect(backoff.attempt).toBe(2);
    backoff.attempt = 0;
    expect(backoff.attempt).toBe(0);
    expect(backoff.next()).toBe(99);
  });
});
