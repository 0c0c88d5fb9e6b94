import { type Balancer, startBalancer } from './balancer.ts';
import { type ClientKind, openSimClient, type SimClient } from './deploy-clients.ts';
import { type LocalRedis, startLocalRedis } from './local-redis.ts';
import { type RunningNode, startNode } from './node-app.ts';

/** Options of `simulateDeploy`. */
export interface DeployOptions {
  /** How many clients of each kind. Default 150 of each. */
  clients?: Partial<Record<ClientKind, number>>;
  /** The old node's `drainSpreadMs`: the window its clients' reconnects are spread over. Default 5000. */
  drainSpreadMs?: number;
  /** The new node's `maxConnectionsPerSecond`. Default 100. */
  maxConnectionsPerSecond?: number;
  /** The Redis to share. Default: a redis-server started for the run, on `redisPort`. */
  redisUrl?: string;
  /** Port of the redis-server started when no `redisUrl` is given. Required then. */
  redisPort?: number;
  /** Width of a histogram bar, in ms. Default 500. */
  binMs?: number;
}

/** One bar of the histogram: what happened at the new node in `[fromMs, fromMs + binMs)` after SIGTERM. */
export interface DeployBin {
  fromMs: number;
  /** New WebSockets and SSE streams the new node admitted. */
  admitted: number;
  /** WebSocket upgrades and SSE requests that reached the new node (admitted or told to come back). */
  attempts: number;
  /** Clients whose final arrival at the new node fell in this bar, by kind. */
  settled: Record<ClientKind, number>;
}

/** What a run measured. */
export interface DeployReport {
  clients: Record<ClientKind, number>;
  drainSpreadMs: number;
  maxConnectionsPerSecond: number;
  binMs: number;
  /** The old node's `close()`, from SIGTERM to done, in ms. */
  drainMs: number;
  /** From SIGTERM until the last client was back, on the new node, in ms. */
  movedMs: number;
  /** The most new connections the new node admitted within any span under 1000 ms (sampled every 10 ms). */
  maxAdmittedPerSecond: number;
  bins: DeployBin[];
  /** Per kind: when its clients arrived for good, ms after SIGTERM (sorted). */
  arrivalsMs: Record<ClientKind, number[]>;
  /** Per kind: the first delay each client waited, as the server told it (see SimClient.toldMs; sorted). */
  toldMs: Record<ClientKind, number[]>;
  /** Events published during the run, and the clients that missed any of them without a reset. */
  published: number;
  incomplete: number;
}

const KINDS: ClientKind[] = ['tidings-ws', 'tidings-sse', 'eventsource', 'websocket'];

async function until(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const streams = (node: RunningNode) => {
  const c = node.hub.stats().connections;
  return c.ws + c.sse;
};

/**
 * A rolling deploy, measured: every client on node A behind a balancer that probes
 * `/realtime/ready`; node B comes up and is added; A gets its SIGTERM (`close()`): it fails its
 * readiness probe, tells each client its own delay within `drainSpreadMs`, and the clients move to
 * B, which admits at most `maxConnectionsPerSecond` new streams per second. Events are published
 * throughout; every client must end with all of them. Both nodes run in this process, on one
 * Redis.
 */
export async function simulateDeploy(options: DeployOptions = {}): Promise<DeployReport> {
  const counts = Object.fromEntries(KINDS.map((k) => [k, options.clients?.[k] ?? 150])) as Record<
    ClientKind,
    number
  >;
  const total = KINDS.reduce((sum, k) => sum + counts[k], 0);
  const drainSpreadMs = options.drainSpreadMs ?? 5000;
  const cap = options.maxConnectionsPerSecond ?? 100;
  const binMs = options.binMs ?? 500;
  const prefix = `deploy-simulation:${Math.random().toString(36).slice(2)}:`;
  let redis: LocalRedis | undefined;
  let balancer: Balancer | undefined;
  const nodes: RunningNode[] = [];
  const clients: SimClient[] = [];
  let publisher: ReturnType<typeof setInterval> | undefined;
  let sampler: ReturnType<typeof setInterval> | undefined;
  try {
    if (!options.redisUrl) redis = await startLocalRedis(options.redisPort!);
    const redisUrl = options.redisUrl ?? redis!.url;
    const common = { redisUrl, prefix, host: '127.0.0.1' };
    // Room for every client from one address (all come from this process).
    const limits = { maxConnectionsPerIp: 100_000, maxConnections: 100_000 };
    const a = await startNode({
      ...common,
      name: 'node-a',
      hub: { ...limits, drainSpreadMs, maxConnectionsPerSecond: 100_000 },
    });
    nodes.push(a);
    balancer = await startBalancer([a.url], 0, '127.0.0.1', { path: '/realtime/ready', everyMs: 100 });
    for (const kind of KINDS) {
      for (let i = 0; i < counts[kind]; i++) clients.push(openSimClient(kind, balancer.url));
    }
    await until('every client on node A', 60_000, () => streams(a) >= total);

    const b = await startNode({
      ...common,
      name: 'node-b',
      hub: { ...limits, maxConnectionsPerSecond: cap },
    });
    nodes.push(b);
    const attemptsAt: number[] = [];
    b.server.prependListener('upgrade', () => attemptsAt.push(performance.now()));
    b.server.prependListener('request', (req) => {
      if (req.url?.startsWith('/realtime/sse')) attemptsAt.push(performance.now());
    });
    balancer.add(b.url);
    await until('node B ready at the balancer', 10_000, () => balancer!.ready().includes(b.url));

    const ids: string[] = [];
    publisher = setInterval(() => {
      void b.hub.publish('chat', { from: 'deploy', text: `${ids.length}` }).then((id) => ids.push(id));
    }, 100);
    const samples: { at: number; count: number }[] = [];
    sampler = setInterval(() => samples.push({ at: performance.now(), count: streams(b) }), 10);

    const sigterm = performance.now();
    samples.push({ at: sigterm, count: streams(b) });
    await a.close();
    nodes.shift();
    const drainMs = performance.now() - sigterm;
    await until('every client on node B', 120_000, () => streams(b) >= total);
    const movedMs = performance.now() - sigterm;
    clearInterval(sampler);
    samples.push({ at: performance.now(), count: streams(b) });
    clearInterval(publisher);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const last = ids.at(-1)!;
    await until('every client to have every event', 30_000, () =>
      clients.every((c) => c.recorder.ids.includes(last)),
    );
    const incomplete = clients.filter((c) => !c.recorder.check(ids).ok).length;
    let maxAdmittedPerSecond = 0;
    for (let i = 0, j = 0; i < samples.length; i++) {
      while (j + 1 < samples.length && samples[j + 1]!.at - samples[i]!.at < 1000) j++;
      maxAdmittedPerSecond = Math.max(maxAdmittedPerSecond, samples[j]!.count - samples[i]!.count);
    }
    const bins: DeployBin[] = [];
    const binOf = (at: number) => Math.max(0, Math.floor((at - sigterm) / binMs));
    const bin = (i: number): DeployBin => {
      while (bins.length <= i) {
        const settled = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<ClientKind, number>;
        bins.push({ fromMs: bins.length * binMs, admitted: 0, attempts: 0, settled });
      }
      return bins[i]!;
    };
    for (let i = 1; i < samples.length; i++) {
      bin(binOf(samples[i]!.at)).admitted += samples[i]!.count - samples[i - 1]!.count;
    }
    for (const at of attemptsAt) if (at >= sigterm) bin(binOf(at)).attempts++;
    const perKind = () =>
      Object.fromEntries(KINDS.map((k) => [k, [] as number[]])) as Record<ClientKind, number[]>;
    const arrivalsMs = perKind();
    const toldMs = perKind();
    for (const client of clients) {
      const at = client.openedAt() ?? performance.now();
      bin(binOf(at)).settled[client.kind]++;
      arrivalsMs[client.kind].push(at - sigterm);
      const told = client.toldMs();
      if (told !== undefined) toldMs[client.kind].push(told);
    }
    for (const kind of KINDS) {
      arrivalsMs[kind].sort((x, y) => x - y);
      toldMs[kind].sort((x, y) => x - y);
    }
    return {
      clients: counts,
      drainSpreadMs,
      maxConnectionsPerSecond: cap,
      binMs,
      drainMs,
      movedMs,
      maxAdmittedPerSecond,
      bins,
      arrivalsMs,
      toldMs,
      published: ids.length,
      incomplete,
    };
  } finally {
    clearInterval(publisher);
    clearInterval(sampler);
    for (const client of clients) client.close();
    for (const node of nodes) await node.close();
    await balancer?.close();
    await redis?.stop();
  }
}

/** The report as text: the histogram, one line per bar, and the figures under it. */
export function formatReport(report: DeployReport): string {
  const scale = Math.max(1, ...report.bins.map((b) => b.attempts)) / 40;
  const lines = [
    `clients: ${KINDS.map((k) => `${report.clients[k]} ${k}`).join(', ')}`,
    `old node: drainSpreadMs ${report.drainSpreadMs}; new node: maxConnectionsPerSecond ${report.maxConnectionsPerSecond}`,
    '',
    'after SIGTERM  admitted  attempts  (# admitted, . refused)',
  ];
  for (const b of report.bins) {
    const from = (b.fromMs / 1000).toFixed(1);
    const to = ((b.fromMs + report.binMs) / 1000).toFixed(1);
    const admitted = '#'.repeat(Math.round(b.admitted / scale));
    const refused = '.'.repeat(Math.max(0, Math.round(b.attempts / scale) - admitted.length));
    lines.push(
      `${`${from}–${to} s`.padEnd(13)}  ${String(b.admitted).padStart(8)}  ${String(b.attempts).padStart(8)}  ${admitted}${refused}`,
    );
  }
  const pct = (list: number[], p: number) =>
    list[Math.min(list.length - 1, Math.floor(list.length * p))] ?? 0;
  lines.push('');
  lines.push(
    `most admitted in any second: ${report.maxAdmittedPerSecond} (cap ${report.maxConnectionsPerSecond})`,
  );
  for (const kind of KINDS) {
    const list = report.arrivalsMs[kind];
    const [p10, p50, p90] = [0.1, 0.5, 0.9].map((p) => (pct(list, p) / 1000).toFixed(1));
    lines.push(`${kind.padEnd(12)} back on the new node: p10 ${p10} s, p50 ${p50} s, p90 ${p90} s`);
  }
  lines.push(
    `old node's close(): ${Math.round(report.drainMs)} ms; everyone moved: ${(report.movedMs / 1000).toFixed(1)} s; ` +
      `${report.published} events published, ${report.incomplete} clients missed any`,
  );
  return lines.join('\n');
}
