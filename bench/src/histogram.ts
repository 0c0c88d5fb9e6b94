// Log-linear buckets: each bucket is 1 % wider than the one below, so any percentile read back is
// within 1 % of the true sample, and memory stays fixed however many deliveries are recorded.
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
// ln(1e9 µs) / ln(1.01) ≈ 2083: room for latencies up to ~17 minutes.
const BUCKETS = 2100;

function bucketIndex(us: number): number {
  if (!(us >= 1)) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(us) / LOG_GROWTH));
}

// The geometric middle of a bucket: the value reported for samples that fell into it.
function bucketValue(bucket: number): number {
  if (bucket === 0) return 0.5;
  return GROWTH ** (bucket - 0.5);
}

/** A latency histogram in µs, mergeable across processes. */
export interface HistogramSnapshot {
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
  /** Non-empty buckets as [bucket, count] pairs. */
  buckets: [number, number][];
}

/** Records latencies (µs) into fixed log buckets. */
export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKETS);
  count = 0;
  sumUs = 0;
  minUs = Number.POSITIVE_INFINITY;
  maxUs = 0;

  record(us: number): void {
    this.#counts[bucketIndex(us)]!++;
    this.count++;
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  reset(): void {
    this.#counts.fill(0);
    this.count = 0;
    this.sumUs = 0;
    this.minUs = Number.POSITIVE_INFINITY;
    this.maxUs = 0;
  }

  snapshot(): HistogramSnapshot {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.#counts[i]! > 0) buckets.push([i, this.#counts[i]!]);
    return { count: this.count, sumUs: this.sumUs, minUs: this.minUs, maxUs: this.maxUs, buckets };
  }
}

/** Sums snapshots from several load generator processes. */
export function mergeSnapshots(snapshots: readonly HistogramSnapshot[]): HistogramSnapshot {
  const counts = new Map<number, number>();
  let count = 0;
  let sumUs = 0;
  let minUs = Number.POSITIVE_INFINITY;
  let maxUs = 0;
  for (const s of snapshots) {
    count += s.count;
    sumUs += s.sumUs;
    minUs = Math.min(minUs, s.minUs);
    maxUs = Math.max(maxUs, s.maxUs);
    for (const [bucket, n] of s.buckets) counts.set(bucket, (counts.get(bucket) ?? 0) + n);
  }
  const buckets = [...counts].sort((a, b) => a[0] - b[0]);
  return { count, sumUs, minUs, maxUs, buckets };
}

/**
 * The latency (µs) below which `fraction` of the samples fall (0.5 → p50, 0.999 → p999), or NaN
 * when there are none. Exact at the extremes (min and max are kept), within 1 % elsewhere.
 */
export function percentileUs(snapshot: HistogramSnapshot, fraction: number): number {
  if (snapshot.count === 0) return Number.NaN;
  const rank = Math.ceil(fraction * snapshot.count);
  if (rank >= snapshot.count) return snapshot.maxUs;
  if (rank <= 1) return snapshot.minUs;
  let seen = 0;
  for (const [bucket, n] of snapshot.buckets) {
    seen += n;
    if (seen >= rank) return Math.min(snapshot.maxUs, Math.max(snapshot.minUs, bucketValue(bucket)));
  }
  return snapshot.maxUs;
}
