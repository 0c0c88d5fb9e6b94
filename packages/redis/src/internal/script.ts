import { createHash } from 'node:crypto';
import type { RedisCommandClient, RedisCommandOptions } from '../redis-client.ts';

/** Runs one Lua script with fixed keys: EVALSHA, falling back to EVAL once Redis has forgotten it. */
export type ScriptRunner = (args: readonly string[]) => Promise<unknown[]>;

/**
 * Binds a script to a client, its keys and its leading arguments. The script text is sent only when Redis answers
 * NOSCRIPT (first use, after a restart or SCRIPT FLUSH); every other call sends just its SHA-1.
 */
export function createScript(
  client: RedisCommandClient,
  source: string,
  keys: readonly string[],
  lead: readonly string[],
  options: () => RedisCommandOptions,
): ScriptRunner {
  const sha = createHash('sha1').update(source).digest('hex');
  const head = [String(keys.length), ...keys, ...lead];
  return async (args) => {
    try {
      return (await client.sendCommand(['EVALSHA', sha, ...head, ...args], options())) as unknown[];
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await client.sendCommand(['EVAL', source, ...head, ...args], options())) as unknown[];
    }
  };
}
