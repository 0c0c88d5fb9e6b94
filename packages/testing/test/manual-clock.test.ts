import { afterEach, describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../src/index.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('createManualClock', () => {
  it('starts at the real time, or where it is told, and moves only on advance', async () => {
    const before = Date.now();
    const clock = createManualClock();
    expect(clock.now()).toBeGreaterThanOrEqual(before);
    expect(clock.now()).toBeLessThanOrEqual(Date.now());
    const fixed = createManualClock({ now: 1_000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fixed.now()).toBe(1_000);
    await fixed.advance(250);
    expect(fixed.now()).toBe(1_250);
  });

  it('runs timeouts in due order, each seeing its own time, and not before they are due', async () => {
    const clock = createManualClock({ now: 0 });
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 100);
    const cancelled = clock.setTimeout(() => seen.push('never'), 150);
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 200);
    clock.clearTimeout(cancelled);
    expect(clock.pending).toBe(3);
    await clock.advance(99);
    expect(seen).toEqual([]);
    await clock.advance(101);
    expect(seen).toEqual(['a@100', 'b@200', 'c@200']);
    expect(clock.pending).toBe(0);
  });

  it('runs a due interval once per advance, at the new time, skipping missed runs', async () => {
    const clock = createManualClock({ now: 0 });
    const runs: number[] = [];
    const handle = clock.setInterval(() => runs.push(clock.now()), 1_000);
    await clock.advance(999);
    expect(runs).toEqual([]);
    await clock.advance(10_001);
    expect(runs).toEqual([11_000]);
    await clock.advance(1_000);
    expect(runs).toEqual([11_000, 12_000]);
    clock.clearInterval(handle);
    await clock.advance(5_000);
    expect(runs).toEqual([11_000, 12_000]);
  });

  it('runs timers set while advancing when they fall due within it, and lets their promises settle', async () => {
    const clock = createManualClock({ now: 0 });
    const seen: string[] = [];
    clock.setTimeout(() => {
      seen.push('first');
      void Promise.resolve().then(() => seen.push('its promise'));
      clock.setTimeout(() => seen.push(`nested@${clock.now()}`), 50);
    }, 100);
    await clock.advance(150);
    expect(seen).toEqual(['first', 'its promise', 'nested@150']);
  });

  it("works under a test runner's fake timers, which it neither needs nor disturbs", async () => {
    vi.useFakeTimers();
    const clock = createManualClock({ now: 0 });
    let fired = false;
    clock.setTimeout(() => {
      fired = true;
    }, 1_000);
    await clock.advance(1_000);
    expect(fired).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a negative or endless advance and a timer without a function', async () => {
    const clock = createManualClock({ now: 0 });
    await expect(clock.advance(-1)).rejects.toThrow(TypeError);
    await expect(clock.advance(Infinity)).rejects.toThrow(TypeError);
    expect(() => clock.setTimeout('nope' as never, 1)).toThrow(TypeError);
    expect(() => createManualClock({ now: Number.NaN })).toThrow(TypeError);
    expect(clock.now()).toBe(0);
  });
});
