/**
 * Remembers the last `size` event ids and answers whether one was seen already. Duplicates happen
 * where two connections overlap (a probe, a new leader tab replaying from its cursor).
 */
export function createDedupe(size = 512): (id: string) => boolean {
  const seen = new Set<string>();
  return (id) => {
    if (seen.has(id)) return true;
    seen.add(id);
    // A Set iterates in insertion order, so the first value is the oldest id.
    if (seen.size > size) seen.delete(seen.values().next().value!);
    return false;
  };
}
