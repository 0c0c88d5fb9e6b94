import type { Envelope } from '@tidings/core/protocol';
import type { Client, ClientEvents } from '../../src/index.ts';

/** Polls `check` every 10 ms until it returns (or resolves to) true; fails after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves with the argument of the next `name` event of `client`; fails after `timeoutMs`. */
export function next<E extends keyof ClientEvents>(
  client: Client,
  name: E,
  timeoutMs = 10_000,
): Promise<Parameters<ClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${name}`));
    }, timeoutMs);
    const off = client.on(name, ((arg: Parameters<ClientEvents[E]>[0]) => {
      clearTimeout(timer);
      off();
      resolve(arg);
    }) as ClientEvents[E]);
  });
}

/** Publishes `count` events on `topic` from the server and returns their ids in order. */
export async function publishMany(
  hub: { publish(topic: string, data: unknown): Promise<string> },
  topic: string,
  count: number,
  from = 0,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + count; i++) ids.push(await hub.publish(topic, { n: i }));
  return ids;
}

/**
 * The server's log of `topic` after `cursor`: every event it holds, read with short polls (as many
 * as it takes). Without `cursor`, resolves to the head, to read from later.
 */
export async function readLog(
  url: string,
  topic: string,
  cursor?: string,
): Promise<{ cursor: string; events: Envelope[] }> {
  const events: Envelope[] = [];
  for (let i = 0; i < 1000; i++) {
    const query = new URLSearchParams({ topics: topic, ...(cursor ? { cursor } : {}) });
    const response = await fetch(`${url}/poll?${query}`);
    const body = (await response.json()) as { cursor: string; events: Envelope[] };
    events.push(...body.events);
    if (!cursor || body.cursor === cursor || body.events.length === 0) return { cursor: body.cursor, events };
    cursor = body.cursor;
  }
  throw new Error('the log did not end');
}

/**
 * Checks a log against what publishers sent, each an ordered list of values: every value is there
 * at least once, and the first time each appears follows its publisher's order. Returns how many
 * values appear more than once (none once the server drops repeated idempotency keys).
 */
export function checkOrder(log: unknown[], sent: unknown[][]): number {
  const key = (value: unknown) => JSON.stringify(value);
  const first = new Map<string, number>();
  log.forEach((value, i) => {
    if (!first.has(key(value))) first.set(key(value), i);
  });
  for (const list of sent) {
    const positions = list.map((value) => first.get(key(value)));
    if (positions.includes(undefined)) {
      throw new Error(`missing from the log: ${list.filter((_, i) => positions[i] === undefined).map(key)}`);
    }
    for (let i = 1; i < positions.length; i++) {
      if (positions[i]! < positions[i - 1]!)
        throw new Error(`out of order: ${key(list[i - 1])} after ${key(list[i])}`);
    }
  }
  return log.length - first.size;
}
