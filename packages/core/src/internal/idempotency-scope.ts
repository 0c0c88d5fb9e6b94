import type { Principal } from '../principal.ts';

/**
 * The key a broker stores for an idempotency key, scoped to who published: server code (`s:`), a
 * principal with an id (`u:`, the id's length, the id: a length, so an id containing `:` can never
 * make two callers' keys meet), or an anonymous client (`a:`, one scope for all of them: anonymous
 * callers have nothing stable to tell them apart, not even an address, which changes on a retry
 * from another network; their keys must be unguessable, as a client's generated ones are).
 */
export function scopeIdempotencyKey(principal: Principal | undefined, key: string): string {
  if (principal === undefined) return `s:${key}`;
  const id = principal.id;
  return id === undefined ? `a:${key}` : `u:${id.length}:${id}:${key}`;
}
