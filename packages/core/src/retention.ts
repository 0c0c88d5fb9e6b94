/** How long one topic's events are kept for replay. */
export interface Retention {
  /** Events kept for this topic, at most. */
  count: number;
  /** How long an event is kept, in ms. */
  ms: number;
}

/** Retention by topic, as every broker takes it (the hub passes its own to the in-memory broker). */
export interface RetentionOptions {
  /** Events kept per topic for replay. Default 1000. Off: cannot be 0; 1 keeps only the newest. */
  retentionCount?: number;
  /** How long an event is kept for replay, in ms. Default 300000 (5 minutes). Off: a very large number. */
  retentionMs?: number;
  /**
   * Overrides for some topics, by pattern: an exact topic name, or a prefix ending in `*`
   * (`prices.*`, or `*` for all). The longest matching pattern wins; a field it leaves out comes from
   * the defaults above. Default: none.
   */
  retentionByTopic?: Readonly<Record<string, Partial<Retention>>>;
}

/** The defaults of retention. */
export const RETENTION_DEFAULTS: Readonly<Retention> = { count: 1000, ms: 300_000 };

function check(where: string, value: unknown): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) <= 0)) {
    throw new TypeError(`${where} must be a positive integer, got ${value}`);
  }
}

/**
 * The retention of each topic under `options`, validated once (a TypeError for a bad count, age or
 * pattern). Brokers call it per publish and per read, so answers are cached per topic.
 */
export function createRetentionPolicy(options: RetentionOptions = {}): (topic: string) => Retention {
  check('retentionCount', options.retentionCount);
  check('retentionMs', options.retentionMs);
  const base: Retention = {
    count: options.retentionCount ?? RETENTION_DEFAULTS.count,
    ms: options.retentionMs ?? RETENTION_DEFAULTS.ms,
  };
  const rules: { exact: boolean; prefix: string; retention: Retention }[] = [];
  for (const [pattern, override] of Object.entries(options.retentionByTopic ?? {})) {
    const star = pattern.indexOf('*');
    if (pattern === '' || (star !== -1 && star !== pattern.length - 1)) {
      throw new TypeError(`retentionByTopic patterns are a topic or a prefix ending in *, got ${pattern}`);
    }
    check(`retentionByTopic[${pattern}].count`, override.count);
    check(`retentionByTopic[${pattern}].ms`, override.ms);
    rules.push({
      exact: star === -1,
      prefix: star === -1 ? pattern : pattern.slice(0, -1),
      retention: { count: override.count ?? base.count, ms: override.ms ?? base.ms },
    });
  }
  if (rules.length === 0) return () => base;
  // Exact names before prefixes, longer prefixes before shorter: the first match is the best.
  rules.sort((a, b) => Number(b.exact) - Number(a.exact) || b.prefix.length - a.prefix.length);
  const cache = new Map<string, Retention>();
  return (topic) => {
    let found = cache.get(topic);
    if (found) return found;
    found = base;
    for (const rule of rules) {
      if (rule.exact ? topic === rule.prefix : topic.startsWith(rule.prefix)) {
        found = rule.retention;
        break;
      }
    }
    // Bounded: a flood of distinct topics costs a recomputation, never memory.
    if (cache.size >= 10_000) cache.clear();
    cache.set(topic, found);
    return found;
  };
}
