/** The last `size` values, with percentiles (nearest rank). */
export function createWindow(size) {
  const values = [];
  return {
    values,
    add(value) {
      values.push(value);
      if (values.length > size) values.shift();
    },
    percentiles(...ps) {
      if (!values.length) return ps.map(() => undefined);
      const sorted = [...values].sort((a, b) => a - b);
      return ps.map(
        (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))],
      );
    },
  };
}

/**
 * Rates over the last `spanMs`: snapshots of cumulative counters are kept, and the rate is the
 * difference to the oldest snapshot still inside the span.
 */
export function createRates(spanMs) {
  const snapshots = [];
  return {
    /** Records cumulative counters (an object of numbers) at time `at` (ms); returns their change per second. */
    update(at, counters) {
      snapshots.push({ at, counters: { ...counters } });
      while (snapshots.length > 2 && at - snapshots[1].at >= spanMs) snapshots.shift();
      const first = snapshots[0];
      const seconds = (at - first.at) / 1000;
      const rates = {};
      for (const key of Object.keys(counters)) {
        rates[key] = seconds > 0 ? (counters[key] - first.counters[key]) / seconds : 0;
      }
      return { rates, seconds };
    },
  };
}

/** `12.3 ms`, `1.24 s`. */
export function formatMs(ms) {
  if (ms === undefined) return '–';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/** `512 B`, `12.4 KB`, `3.1 MB` (powers of 1000, as network figures are). */
export function formatBytes(bytes) {
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} KB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
