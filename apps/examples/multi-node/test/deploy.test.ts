import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ClientKind } from '../src/deploy-clients.ts';
import {
  type DeployOptions,
  type DeployReport,
  formatReport,
  simulateDeploy,
} from '../src/deploy-simulation.ts';

const KINDS: ClientKind[] = ['tidings-ws', 'tidings-sse', 'eventsource', 'websocket'];
const EACH = 40;
// What `@tidings/client` adds to the server's delay: one backoff step below reconnectDelayMs (500).
const BACKOFF_MS = 500;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function run(options: DeployOptions): Promise<DeployReport> {
  const report = await simulateDeploy({
    clients: Object.fromEntries(KINDS.map((k) => [k, EACH])),
    redisUrl: process.env.REDIS_URL,
    redisPort: await freePort(),
    ...options,
  });
  console.log(formatReport(report));
  // Every client of every kind moved, and none missed an event without a reset.
  expect(report.incomplete).toBe(0);
  expect(report.published).toBeGreaterThan(5);
  for (const kind of KINDS) expect(report.arrivalsMs[kind]).toHaveLength(EACH);
  return report;
}

describe('a rolling deploy: node A drains, its clients move to node B', () => {
  it('each client is told its own delay, across drainSpreadMs, and waits it: every kind of client', async () => {
    const spreadMs = 3000;
    const report = await run({ drainSpreadMs: spreadMs, maxConnectionsPerSecond: 10_000 });
    // The delays are the server's draws, not the machine's timing: 40 uniform draws per kind leave
    // the first or last 30% of the window empty with probability 0.7^40.
    for (const kind of KINDS) {
      const told = report.toldMs[kind];
      const slack = kind.startsWith('tidings') ? BACKOFF_MS : 0;
      expect(told, kind).toHaveLength(EACH);
      expect(told[0]!, kind).toBeLessThan(spreadMs * 0.3 + slack);
      expect(told.at(-1)!, kind).toBeGreaterThan(spreadMs * 0.7);
      expect(told.at(-1)!, kind).toBeLessThan(spreadMs + slack);
      expect(new Set(told).size, kind).toBeGreaterThan(EACH / 2);
      // Nobody came back before the delay it was told (timers never fire early).
      const arrivals = report.arrivalsMs[kind];
      expect(arrivals[0]!, kind).toBeGreaterThanOrEqual(told[0]! - slack - 50);
    }
  }, 60_000);

  it('with maxConnectionsPerSecond under the arrival rate, the new node admits no more than that in any second', async () => {
    const cap = 25;
    // 160 clients told to come back within half a second: far more than 25 a second however fast
    // or slow the machine, so the throttle must turn some away and hold the rest to its pace.
    const report = await run({ drainSpreadMs: 500, maxConnectionsPerSecond: cap });
    // Sampled at the node: any two samples under a second apart bracket admissions made within a
    // second, so the figure can only under-count.
    expect(report.maxAdmittedPerSecond).toBeLessThanOrEqual(cap);
    const attempts = report.bins.reduce((sum, b) => sum + b.attempts, 0);
    expect(attempts).toBeGreaterThan(KINDS.length * EACH);
    // 160 admissions at 25 a second take at least six seconds.
    expect(report.movedMs).toBeGreaterThan(((KINDS.length * EACH) / cap - 1) * 1000);
  }, 90_000);
});
