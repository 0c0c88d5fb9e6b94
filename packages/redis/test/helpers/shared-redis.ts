import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll } from 'vitest';
import { type RedisServer, startRedisServer } from './redis-server.ts';

/**
 * The Redis the tests of one file share: CI's (`REDIS_URL`), or else a redis-server started for the
 * file and killed after it. Tests on it use `uniquePrefix()` so parallel files never collide.
 */
export function useSharedRedis(): { url(): string } {
  let server: RedisServer | undefined;
  let url = process.env.REDIS_URL;
  beforeAll(async () => {
    if (url) return;
    server = await startRedisServer();
    url = server.url;
  });
  afterAll(async () => {
    await server?.stop();
  });
  return { url: () => url! };
}

/** A key prefix no other test uses. */
export function uniquePrefix(): string {
  return `tidings-test:${randomUUID()}:`;
}

/** Deletes the keys of `prefixes` from the Redis at `url`, so tests leave a shared Redis as they found it. */
export async function deleteKeys(url: string, prefixes: readonly string[]): Promise<void> {
  if (prefixes.length === 0) return;
  const admin = createClient({ url });
  await admin.connect();
  for (const prefix of prefixes) {
    // Prefixes are unique per test and hold few keys; escape the glob characters a UUID cannot hold anyway.
    const keys: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
    if (keys.length > 0) await admin.del(keys);
  }
  admin.destroy();
}
