import { isValidTopic } from '../protocol/topics.ts';

// A flood of distinct topics costs a recomputation, never memory.
const MAX_CACHED = 10_000;

/**
 * Throws a TypeError unless `patterns` is an array of topic patterns: an exact topic name, or a
 * prefix ending in `*` (`prices.*`, or `*` alone for every topic).
 */
export function checkTopicPatterns(patterns: unknown, option: string): asserts patterns is string[] {
  if (!Array.isArray(patterns)) throw new TypeError(`${option} must be an array of topic patterns`);
  for (const pattern of patterns) {
    const prefix = typeof pattern === 'string' && pattern.endsWith('*') ? pattern.slice(0, -1) : undefined;
    if (!(prefix === undefined ? isValidTopic(pattern) : prefix === '' || isValidTopic(prefix))) {
      throw new TypeError(
        `${option} patterns are a topic or a prefix ending in * (topic characters only), got ${String(pattern)}`,
      );
    }
  }
}

/**
 * Whether a topic matches any of `patterns` (checked beforehand with `checkTopicPatterns`). Asked
 * once per published event, so answers are cached per topic.
 */
export function createTopicMatcher(patterns: readonly string[]): (topic: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const pattern of patterns) {
    if (pattern.endsWith('*')) prefixes.push(pattern.slice(0, -1));
    else exact.add(pattern);
  }
  const cache = new Map<string, boolean>();
  return (topic) => {
    let found = cache.get(topic);
    if (found !== undefined) return found;
    found = exact.has(topic) || prefixes.some((prefix) => topic.startsWith(prefix));
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(topic, found);
    return found;
  };
}
