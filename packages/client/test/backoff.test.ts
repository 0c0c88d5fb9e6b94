import { describe, expect, it } from 'vitest';
import { createBackoff } from '../src/internal/backoff.ts';

/** A deterministic random source cycling through `values`. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('backoff', () => {
  it('draws each delay from the whole range below a ceiling that doubles per attempt', () => {
    const top = createBackoff(100, 10_000, () => 0.999999);
    expect(Array.from({ length: 5 }, () => top.next())).toEqual([99, 199, 399, 799, 1599]);
    const bottom = createBackoff(100, 10_000, () => 0);
    expect(Array.from({ length: 5 }, () => bottom.next())).toEqual([0, 0, 0, 0, 0]);
    const middle = createBackoff(100, 10_000, () => 0.5);
    expect(Array.from({ length: 4 }, () => middle.next())).toEqual([50, 100, 200, 400]);
  });

  it('caps the ceiling, and keeps jittering after the cap', () => {
    const backoff = createBackoff(100, 1000, sequence(0.9, 0.2, 0.6, 0.35));
    const delays = Array.from({ length: 12 }, () => backoff.next());
    const capped = delays.slice(4);
    for (const delay of capped) expect(delay).toBeLessThan(1000);
    expect(capped).toEqual([900, 200, 600, 350, 900, 200, 600, 350]);
    expect(new Set(capped).size).toBeGreaterThan(1);
  });

  it('gives two clients with the same settings different delays (default Math.random)', () => {
    const a = createBackoff(500, 20_000, Math.random);
    const b = createBackoff(500, 20_000, Math.random);
    const da = Array.from({ length: 10 }, () => a.next());
    const db = Array.from({ length: 10 }, () => b.next());
    expect(da).not.toEqual(db);
    // Past the cap (attempt 6 onwards: 500·2^6 > 20000) they still differ from each other and from the cap.
    expect(da.slice(6)).not.toEqual(db.slice(6));
    expect(da.slice(6).every((d) => d === 20_000)).toBe(false);
  });

  it('counts attempts and starts over on reset', () => {
    const backoff = createBackoff(100, 10_000, () => 0.999999);
    backoff.next();
    backoff.next();
    expect(backoff.attempt).toBe(2);
    backoff.reset();
    expect(backoff.attempt).toBe(0);
    expect(backoff.next()).toBe(99);
  });
});
