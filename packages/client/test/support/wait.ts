import type { Client, ClientEvents } from '../../src/index.ts';

/** Polls `check` every 10 ms until it returns true; fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
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
