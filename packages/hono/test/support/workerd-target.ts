import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConformanceConfig, ConformanceServer, OperatorAnswer } from '@tidings/conformance';
import type { HubStats } from '@tidings/core';
import { Miniflare } from 'miniflare';
import { afterAll } from 'vitest';
import { bundle, createBundleDir } from './bundle.ts';

const WORKER = fileURLToPath(new URL('../fixtures/worker.ts', import.meta.url));
/** Not after the bundled workerd's own date (1.20260730). */
export const COMPATIBILITY_DATE = '2026-07-01';

/** A running Worker in workerd, with the base URL of its realtime routes. */
export interface RunningWorker {
  mf: Miniflare;
  /** e.g. `http://127.0.0.1:41234` */
  origin: string;
}

/** Bundles `fixtures/worker.ts` once per test file; the bundle is removed after the file. */
export function createWorkerBundler(): () => Promise<string> {
  const dir = createBundleDir();
  afterAll(() => dir.remove());
  let bundled: Promise<string> | undefined;
  return () => {
    bundled ??= bundle(WORKER, join(dir.path, 'worker.js'), {
      conditions: ['workerd', 'worker', 'browser'],
      external: ['cloudflare:*'],
    });
    return bundled;
  };
}

/** Starts the Worker in workerd through Miniflare, loopback only, with the Durable Object bound as TIDINGS. */
export async function startWorker(scriptPath: string, config: ConformanceConfig): Promise<RunningWorker> {
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    // The bundle lives in a temporary directory; module paths must not climb out of the root.
    modulesRoot: dirname(scriptPath),
    compatibilityDate: COMPATIBILITY_DATE,
    // The object hears that an SSE client went away only through request.signal (the stream is not cancelled).
    compatibilityFlags: ['enable_request_signal'],
    cf: false,
    host: '127.0.0.1',
    port: 0,
    durableObjects: { TIDINGS: 'ConformanceHub' },
    bindings: { CONFIG: JSON.stringify(config) },
  });
  const url = await mf.ready;
  return { mf, origin: url.origin };
}

/** The conformance server of a running Worker: server-side publish and shutdown go through the object's RPC. */
export function workerServer(worker: RunningWorker): ConformanceServer {
  let closed: Promise<void> | undefined;
  return {
    url: `${worker.origin}/realtime`,
    async publish(topic, data, event) {
      const response = await fetch(`${worker.origin}/control/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic, data, event }),
      });
      if (!response.ok) throw new Error(`publish answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { id: string }).id;
    },
    async stats() {
      const response = await fetch(`${worker.origin}/control/stats`);
      if (!response.ok) throw new Error(`stats answered ${response.status}`);
      return (await response.json()) as HubStats;
    },
    async operator(command) {
      const response = await fetch(`${worker.origin}/control/command`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(command),
      });
      if (!response.ok)
        throw new Error(`${command.op} answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as OperatorAnswer;
    },
    async shutdown() {
      const response = await fetch(`${worker.origin}/control/shutdown`, { method: 'POST' });
      if (response.status !== 204) throw new Error(`shutdown answered ${response.status}`);
    },
    close() {
      closed ??= worker.mf.dispose();
      return closed;
    },
  };
}
