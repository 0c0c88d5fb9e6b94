import { join } from 'node:path';
import type { Child } from './child.ts';
import { type HistogramSnapshot, mergeSnapshots, percentileUs } from './histogram.ts';
import type { LoadJob } from './loadgen/job.ts';
import type { WindowReport } from './loadgen/tracker.ts';
import type { ProcessPool } from './process-pool.ts';
import type { Scenario, Sizes } from './scenarios.ts';
import type { ServerStats } from './server/harness.ts';
import type { Target } from './targets.ts';

/** The figures of one run: one target, one scenario, one round. */
export interface RunMetrics {
  clients: number;
  connected: number;
  /** Events delivered to clients in the window. */
  deliveries: number;
  /** Answered HTTP requests in the window (polling). */
  responses: number;
  /** Long polling: events per answer (batching), NaN for other transports. */
  eventsPerResponse: number;
  /** Events published by the server in the window. */
  published: number;
  /**
   * Deliveries the clients reported ÷ (events published in the server's window × clients): about 1
   * when every client got every event; the two windows are taken a few ms apart.
   */
  deliveredRatio: number;
  /** deliveries, or responses for request scenarios. */
  units: number;
  unitsPerS: number;
  /**
   * Server CPU (user + system, all threads) per unit, µs: the server's CPU time per second of its
   * window divided by the units per second the clients counted in theirs. Two rates, so the few ms
   * between the edges of the two windows do not matter, and a server that falls behind is charged
   * for what actually arrived, not for what it published.
   */
  usPerUnit: number;
  serverCpuPct: number;
  loadgenCpuPct: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** Server RSS at the end of the window, MB. */
  rssMB: number;
  /** idle only: RSS and heap added per open connection, KB. */
  rssPerConnKB: number;
  heapPerConnKB: number;
  latency?: HistogramSnapshot;
  errors: string[];
}

/** How one run is carried out. */
export interface RunSettings {
  pool: ProcessPool;
  /** Settle time before the first event, ms: some stacks register a subscriber after the head went out. */
  settleMs: number;
  /** Most clients one load generator process opens (file descriptors). */
  maxClientsPerLoadgen: number;
  /** Directory for CPU profiles and heap snapshots of tidings servers, or undefined for none. */
  cpuProfDir?: string;
  /** Profile baselines and peers too. */
  profileAll?: boolean;
  /** Extra node flags for every server process (experiments, e.g. `--max-semi-space-size=1`). */
  serverFlags?: string[];
  /** Environment for the server processes (e.g. the Redis URL). */
  env: Record<string, string>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function shares(total: number, most: number): number[] {
  const count = Math.max(1, Math.ceil(total / most));
  return Array.from({ length: count }, (_, i) => Math.floor(total / count) + (i < total % count ? 1 : 0));
}

/** Runs one target through one scenario with fresh server and load generator processes. */
export async function runOne(
  scenario: Scenario,
  sizes: Sizes,
  target: Target,
  round: number,
  settings: RunSettings,
): Promise<RunMetrics> {
  const endpoint = target.endpoints[scenario.transport];
  if (!endpoint) throw new Error(`${target.id} does not serve ${scenario.transport}`);
  const idle = scenario.mode === 'idle';
  const nodeFlags: string[] = [];
  if (idle) nodeFlags.push('--expose-gc');
  nodeFlags.push(...(settings.serverFlags ?? []));
  // Profiles (CPU over the measured window; a heap snapshot for idle memory) of tidings servers, or of all with profileAll.
  const profileBase =
    settings.cpuProfDir && (target.family === 'tidings' || settings.profileAll)
      ? join(settings.cpuProfDir, `${scenario.id}-${target.id}-r${round}`)
      : undefined;
  const { pool } = settings;
  const t0 = Date.now();
  const mark = (what: string) => {
    if (process.env.BENCH_DEBUG) console.error(`    ${target.id} ${what} +${Date.now() - t0} ms`);
  };
  // A key prefix of its own per run, so runs sharing a Redis never see each other's events.
  const env = {
    ...settings.env,
    BENCH_REDIS_PREFIX: `bench:${scenario.id}:${target.id}:${round}:${Date.now()}:`,
  };
  // Server, publisher and load generators start side by side: process startup is a good part of
  // a run's wall time.
  const split = shares(sizes.clients, settings.maxClientsPerLoadgen);
  const starting = await Promise.allSettled([
    pool.server(target, nodeFlags, env, 'server'),
    target.publisherArgs
      ? pool.server({ ...target, args: target.publisherArgs }, [], env, 'publisher')
      : Promise.resolve(undefined),
    ...split.map((_, i) => pool.loadgen(i)),
  ]);
  const started = starting.flatMap((s) => (s.status === 'fulfilled' && s.value ? [s.value] : []));
  const failedStart = starting.find((s) => s.status === 'rejected');
  if (failedStart) {
    await Promise.all(started.map((child) => child.kill()));
    throw (failedStart as PromiseRejectedResult).reason;
  }
  const [server, publisher, ...loadgens] = starting.map(
    (s) => (s as PromiseFulfilledResult<Child | undefined>).value,
  ) as [Child, Child | undefined, ...Child[]];
  try {
    const info = (await server.ready) as { port: number; controlPort: number };
    mark('started');
    // Events come from the publishing node when there is one, and so credit goes back to it.
    const source = publisher ?? server;
    const sourceInfo = (await source.ready) as { controlPort: number };
    const before = idle ? await server.request<ServerStats>('stats', { gc: true }) : undefined;
    const job: LoadJob = {
      kind: endpoint.kind,
      host: '127.0.0.1',
      port: info.port,
      path: endpoint.path,
      clients: 0,
      connectConcurrency: sizes.connectConcurrency,
      connectTimeoutMs: 20_000,
      ...(endpoint.readyOn ? { readyOn: endpoint.readyOn } : {}),
      ...(scenario.mode === 'window' ? { credit: { port: sourceInfo.controlPort, intervalMs: 2 } } : {}),
    };
    const connectTimeoutMs = 60_000 + sizes.clients * 10;
    const connects = await Promise.all(
      loadgens.map((l, i) =>
        l.request<{ connected: number; failed: number; errors: string[] }>(
          'connect',
          { job: { ...job, clients: split[i] } },
          connectTimeoutMs,
        ),
      ),
    );
    mark('connected');
    const connected = connects.reduce((n, c) => n + c.connected, 0);
    const connectErrors = connects.flatMap((c) => c.errors);
    if (connected === 0) throw new Error(`no client connected: ${connectErrors.slice(0, 3).join('; ')}`);

    if (idle) {
      await sleep(sizes.warmupMs);
      const after = await server.request<ServerStats>('stats', { gc: true });
      if (profileBase)
        await server.request('heap-snapshot', { path: `${profileBase}.heapsnapshot` }, 300_000);
      return {
        ...emptyMetrics(sizes.clients, connected, connectErrors),
        rssMB: after.rssBytes / 1e6,
        rssPerConnKB: (after.rssBytes - before!.rssBytes) / connected / 1024,
        heapPerConnKB: (after.heapUsedBytes - before!.heapUsedBytes) / connected / 1024,
      };
    }

    await sleep(settings.settleMs);
    const publishMs = sizes.warmupMs + sizes.durationMs + 10_000;
    await source.request(
      'publish',
      scenario.mode === 'window'
        ? { mode: 'window', window: sizes.window, burst: sizes.burst, maxMs: publishMs }
        : { mode: 'rate', ratePerS: sizes.ratePerS, maxMs: publishMs },
    );
    await sleep(sizes.warmupMs);
    if (profileBase) await server.request('profile-start');
    const [s0, p0] = (await Promise.all([
      server.request<ServerStats>('stats'),
      source.request<ServerStats>('stats'),
      ...loadgens.map((l) => l.request('start')),
    ])) as [ServerStats, ServerStats, ...unknown[]];
    await sleep(sizes.durationMs);
    const [s1, p1, ...reports] = (await Promise.all([
      server.request<ServerStats>('stats'),
      source.request<ServerStats>('stats'),
      ...loadgens.map((l) => l.request<WindowReport>('end')),
    ])) as [ServerStats, ServerStats, ...WindowReport[]];
    await source.request('stop');
    if (profileBase) await server.request('profile-stop', { path: `${profileBase}.cpuprofile` });
    mark('measured');

    const latency = mergeSnapshots(reports.map((r) => r.latency));
    const deliveries = reports.reduce((n, r) => n + r.deliveries, 0);
    const responses = reports.reduce((n, r) => n + r.responses, 0);
    const wallUs = Math.max(...reports.map((r) => r.wallUs));
    const loadgenCpuUs = reports.reduce((n, r) => n + r.cpuUs, 0);
    const units = scenario.unit === 'request' ? responses : deliveries;
    const serverCpuUs = s1.cpuUs - s0.cpuUs;
    const published = p1.published - p0.published;
    const serverWallUs = s1.wallUs - s0.wallUs;
    const unitsPerS = units / (wallUs / 1e6);
    return {
      clients: sizes.clients,
      connected,
      deliveries,
      responses,
      eventsPerResponse: responses > 0 ? deliveries / responses : Number.NaN,
      published,
      deliveredRatio: published > 0 ? deliveries / (published * connected) : Number.NaN,
      units,
      unitsPerS,
      usPerUnit: unitsPerS > 0 ? ((serverCpuUs / serverWallUs) * 1e6) / unitsPerS : Number.NaN,
      serverCpuPct: (serverCpuUs / serverWallUs) * 100,
      loadgenCpuPct: (loadgenCpuUs / wallUs / loadgens.length) * 100,
      p50Ms: percentileUs(latency, 0.5) / 1000,
      p99Ms: percentileUs(latency, 0.99) / 1000,
      p999Ms: percentileUs(latency, 0.999) / 1000,
      rssMB: s1.rssBytes / 1e6,
      rssPerConnKB: Number.NaN,
      heapPerConnKB: Number.NaN,
      latency,
      errors: [...connectErrors, ...reports.flatMap((r) => r.errors)].slice(0, 5),
    };
  } finally {
    // The server goes first, so its sockets close from its side; then the load generators.
    await pool.releaseServer(server);
    if (publisher) await pool.releaseServer(publisher);
    mark('released');
    await Promise.all(loadgens.map((l) => pool.releaseLoadgen(l)));
  }
}

function emptyMetrics(clients: number, connected: number, errors: string[]): RunMetrics {
  return {
    clients,
    connected,
    deliveries: 0,
    responses: 0,
    eventsPerResponse: Number.NaN,
    published: 0,
    deliveredRatio: Number.NaN,
    units: 0,
    unitsPerS: Number.NaN,
    usPerUnit: Number.NaN,
    serverCpuPct: Number.NaN,
    loadgenCpuPct: Number.NaN,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    p999Ms: Number.NaN,
    rssMB: Number.NaN,
    rssPerConnKB: Number.NaN,
    heapPerConnKB: Number.NaN,
    errors: errors.slice(0, 5),
  };
}
