import type { HubOptions } from '@tidings/core';
import { createFaultProxy, type FaultProxy } from '@tidings/testing';
import { startServer, type TestServer, type TestServerOptions } from './server.ts';

/** Heartbeats short enough for fast tests, long enough for a busy 2-core machine (ms). */
export const HEARTBEAT_MS = 400;

/** A hub with short heartbeats: a dead connection is found within about 2 × 400 + 400 ms. */
export const FAST_HUB: HubOptions = {
  heartbeatMs: HEARTBEAT_MS,
  sseHeartbeatMs: HEARTBEAT_MS,
  tickMs: 50,
  sseRetryMs: 100,
};

/** A real server (Express + the tidings middleware) and the fault proxy of `@tidings/testing` in front of it. */
export interface Rig {
  readonly server: TestServer;
  readonly proxy: FaultProxy;
  /** The routes through the proxy, `http://127.0.0.1:<proxy port>/realtime`. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startRig(options: TestServerOptions = {}): Promise<Rig> {
  const server = await startServer({ ...options, hub: { ...FAST_HUB, ...options.hub } });
  const proxy = await createFaultProxy({ target: server.url });
  return {
    server,
    proxy,
    url: proxy.url,
    async close() {
      await proxy.close();
      await server.close();
    },
  };
}

/** Pauses the proxy (a frozen server) and returns the function that resumes it. */
export function pauseOf(proxy: FaultProxy): () => void {
  proxy.pause();
  return () => proxy.resume();
}

/** Publishes `count` events on `topic`, `gapMs` apart; resolves to their ids in order. */
export async function publishSlowly(
  server: TestServer,
  topic: string,
  count: number,
  gapMs: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(await server.hub.publish(topic, { n: i }));
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  return ids;
}
