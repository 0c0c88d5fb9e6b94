import { HealthCheck } from '@tidings/core/broker';
import { describe, expect, it } from 'vitest';

/** A probe the test answers by hand: each call waits until the test settles it. */
function handProbe() {
  const calls: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const probe = () =>
    new Promise<void>((resolve, reject) => {
      calls.push({ resolve, reject });
    });
  return { calls, probe };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('HealthCheck (@tidings/core/broker)', () => {
  it('tells a change once: down with the error that showed it, then up again', async () => {
    const { calls, probe } = handProbe();
    const changes: [boolean, unknown][] = [];
    const check = new HealthCheck({
      intervalMs: 60_000,
      probe,
      onChange: (up, error) => changes.push([up, error]),
    });
    const silent = new Error('no answer');
    check.check();
    calls[0]!.reject(silent);
    await settle();
    expect(check.healthy).toBe(false);
    check.check();
    calls[1]!.reject(new Error('still silent'));
    await settle();
    check.check();
    calls[2]!.resolve();
    await settle();
    expect(check.healthy).toBe(true);
    expect(changes).toEqual([
      [false, silent],
      [true, undefined],
    ]);
  });

  it('runs one check at a time: a check asked for while one waits is not started', async () => {
    const { calls, probe } = handProbe();
    const check = new HealthCheck({ intervalMs: 60_000, probe, onChange: () => {} });
    check.check();
    check.check();
    expect(calls).toHaveLength(1);
    calls[0]!.resolve();
    await settle();
    check.check();
    expect(calls).toHaveLength(2);
  });

  it('suspect() marks the broker down until a check gets an answer', async () => {
    const { calls, probe } = handProbe();
    const changes: boolean[] = [];
    const check = new HealthCheck({ intervalMs: 60_000, probe, onChange: (up) => changes.push(up) });
    check.suspect(new Error('a call timed out'));
    expect(check.healthy).toBe(false);
    check.check();
    calls[0]!.resolve();
    await settle();
    expect(changes).toEqual([false, true]);
  });

  it('checks every intervalMs once started, and stops', async () => {
    const { calls, probe } = handProbe();
    const check = new HealthCheck({ intervalMs: 20, probe, onChange: () => {} });
    check.start();
    await expect.poll(() => calls.length, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    calls.at(-1)!.resolve();
    await expect.poll(() => calls.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    check.stop();
    calls.at(-1)!.resolve();
    await settle();
    const seen = calls.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls.length).toBe(seen);
  });
});
