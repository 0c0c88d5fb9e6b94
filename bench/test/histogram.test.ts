import { describe, expect, it } from 'vitest';
import { LatencyHistogram, mergeSnapshots, percentileUs } from '../src/histogram.ts';
import { createPayload, PAYLOAD_BYTES } from '../src/payload.ts';

describe('LatencyHistogram', () => {
  it('reads percentiles back within 1 %, and merges across processes', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let us = 1; us <= 10_000; us++) (us % 2 ? a : b).record(us);
    const merged = mergeSnapshots([a.snapshot(), b.snapshot()]);
    expect(merged.count).toBe(10_000);
    for (const [fraction, exact] of [
      [0.5, 5000],
      [0.99, 9900],
      [0.999, 9990],
    ] as const) {
      expect(Math.abs(percentileUs(merged, fraction) - exact) / exact).toBeLessThan(0.01);
    }
    expect(percentileUs(merged, 1)).toBe(10_000);
    expect(Number.isNaN(percentileUs(new LatencyHistogram().snapshot(), 0.5))).toBe(true);
  });
});

describe('createPayload', () => {
  it('serialises to exactly the configured size', () => {
    for (const seq of [1, 42, 9_999_999])
      expect(JSON.stringify(createPayload(seq)).length).toBe(PAYLOAD_BYTES);
  });
});
