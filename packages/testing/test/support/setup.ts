import type { HubOptions } from '@tidings/core';
import { createFaultProxy, type FaultProxy } from '../../src/index.ts';
import { startHub, type TestHub } from './hub.ts';

const open: { close(): unknown }[] = [];

/** Remembers `thing` for `closeAll`. */
export function track<T extends { close(): unknown }>(thing: T): T {
  open.push(thing);
  return thing;
}

/** Closes everything tracked, last first (so proxies and clients go before their server). Use in afterEach. */
export async function closeAll(): Promise<void> {
  while (open.length > 0) await open.pop()!.close();
}

/** A real hub behind `serve()`, and a fault proxy in front of it. */
export async function proxied(
  options: Partial<HubOptions> = {},
): Promise<{ server: TestHub; proxy: FaultProxy }> {
  const server = track(await startHub(options));
  const proxy = track(await createFaultProxy({ target: server.url }));
  return { server, proxy };
}
