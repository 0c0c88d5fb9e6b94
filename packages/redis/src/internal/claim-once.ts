import type { RedisCommandClient, RedisCommandOptions } from '../redis-client.ts';

/**
 * `claimOnce` on Redis: `SET key 1 NX PX ttl` is atomic, so of every hub sharing this Redis exactly
 * one gets `OK` for a key until it expires; the others get nil. The key lives under the broker's
 * prefix and expires by itself, so used tickets cost Redis nothing after their lifetime.
 */
export function createClaimOnce(
  client: RedisCommandClient,
  prefix: string,
  options: () => RedisCommandOptions,
): (key: string, ttlMs: number) => Promise<boolean> {
  return async (key, ttlMs) => {
    const ttl = String(Math.max(1, Math.ceil(ttlMs)));
    const reply = await client.sendCommand(['SET', `${prefix}claim:${key}`, '1', 'NX', 'PX', ttl], options());
    return reply === 'OK';
  };
}
