import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { hasTaskset } from './child.ts';
import { createFreshPool, createSharedPool } from './process-pool.ts';
import { type RunMetrics, type RunSettings, runOne } from './run-one.ts';
import { type Goal, SCENARIOS, type Scenario } from './scenarios.ts';
import { TARGETS, type Target, targetById } from './targets.ts';

/** Options of `runBench`. */
export interface BenchOptions {
  /** `full` for the real figures, `smoke` for tiny sizes that only prove the harness works. */
  profile: 'full' | 'smoke';
  /** Rounds per scenario. Default 3 (full) or 1 (smoke). */
  rounds?: number;
  /** Only these scenario ids. Default all. */
  only?: string[];
  /** Only these target ids (baselines are always kept). Default all. */
  targets?: string[];
  /** Write CPU profiles of the tidings servers here. Default none. */
  cpuProfDir?: string;
  /** Profile every target, not only tidings. Default false. */
  profileAll?: boolean;
  /** Extra node flags for every server process. Default none. */
  serverFlags?: string[];
  /** Progress lines. Default none. */
  log?: (line: string) => void;
  /** Extra scenarios (e.g. G) appended to the built-in ones. */
  extraScenarios?: readonly Scenario[];
}

/** One run as recorded. */
export interface RunRecord {
  target: string;
  round: number;
  ok: boolean;
  /** One-minute load average when the run ended. */
  load1: number;
  /** Wall time of the whole run, processes included, s. */
  wallS: number;
  error?: string;
  metrics?: RunMetrics;
}

/** The metrics that get a median and a ratio. */
export const SUMMARY_METRICS = [
  'unitsPerS',
  'usPerUnit',
  'p50Ms',
  'p99Ms',
  'p999Ms',
  'rssMB',
  'rssPerConnKB',
  'heapPerConnKB',
  'serverCpuPct',
  'loadgenCpuPct',
  'eventsPerResponse',
] as const;
export type SummaryMetric = (typeof SUMMARY_METRICS)[number];

/** A goal checked for one tidings target. */
export interface GoalResult extends Goal {
  value: number;
  pass: boolean;
}

/** Medians over rounds for one target. */
export interface TargetSummary {
  target: string;
  label: string;
  family: Target['family'];
  okRounds: number;
  median: Record<SummaryMetric, number>;
  /** Median over rounds of (this target ÷ the baseline in the same round). */
  ratio: Record<SummaryMetric, number>;
  goals: GoalResult[];
}

/** Everything about one scenario. */
export interface ScenarioReport {
  id: string;
  title: string;
  mode: Scenario['mode'];
  unit: Scenario['unit'];
  baseline: string;
  goalText?: string;
  sizes: Scenario['full'];
  runs: RunRecord[];
  summary: TargetSummary[];
}

/** A whole benchmark run. */
export interface BenchReport {
  profile: BenchOptions['profile'];
  startedAt: string;
  durationS: number;
  rounds: number;
  /** One-minute load average of the machine: other work on it skews every figure. */
  loadAverage: { start: number; end: number };
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    platform: string;
    pinned: boolean;
    fdLimit: number;
  };
  scenarios: ScenarioReport[];
}

/** The median of the finite values, NaN when there are none. */
export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

function fdLimit(): number {
  const result = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const value = Number(result.stdout.trim());
  return Number.isFinite(value) && value > 0 ? value : 1024;
}

function summarize(scenario: Scenario, runs: RunRecord[]): TargetSummary[] {
  const byRound = new Map<number, Map<string, RunMetrics>>();
  for (const run of runs) {
    if (!run.ok || !run.metrics) continue;
    const round = byRound.get(run.round) ?? new Map<string, RunMetrics>();
    byRound.set(run.round, round);
    round.set(run.target, run.metrics);
  }
  return scenario.targets.map((id) => {
    const target = targetById(id);
    const mine = runs.filter((r) => r.target === id && r.ok && r.metrics).map((r) => r.metrics!);
    const medianOf = {} as Record<SummaryMetric, number>;
    const ratioOf = {} as Record<SummaryMetric, number>;
    // The median over rounds of this target's metric divided by another's in the same round.
    const ratioTo = (metric: SummaryMetric, other: string) => {
      const ratios: number[] = [];
      for (const round of byRound.values()) {
        const own = round.get(id);
        const base = round.get(other);
        if (own && base) ratios.push(own[metric] / base[metric]);
      }
      return median(ratios);
    };
    for (const metric of SUMMARY_METRICS) {
      medianOf[metric] = median(mine.map((m) => m[metric]));
      ratioOf[metric] = ratioTo(metric, scenario.baseline);
    }
    const applies = (goal: Goal) => (!goal.only || goal.only.includes(id)) && !goal.except?.includes(id);
    const goals =
      target.family === 'tidings'
        ? scenario.goals.filter(applies).map((goal) => {
            const value = goal.versus ? ratioTo(goal.metric, goal.versus) : ratioOf[goal.metric];
            const pass = goal.op === '>=' ? value >= goal.ratio : value <= goal.ratio;
            return { ...goal, value, pass };
          })
        : [];
    return {
      target: id,
      label: target.label,
      family: target.family,
      okRounds: mine.length,
      median: medianOf,
      ratio: ratioOf,
      goals,
    };
  });
}

/**
 * Runs the scenarios in interleaved rounds: within a scenario every target runs once per round
 * (the order rotating each round), so slow drift of a noisy machine falls on all targets alike, and
 * each figure is also divided by the baseline's figure from the same round.
 */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const started = Date.now();
  const loadAtStart = loadavg()[0]!;
  const log = options.log ?? (() => {});
  const rounds = options.rounds ?? (options.profile === 'full' ? 3 : 1);
  const limit = fdLimit();
  const pinned = availableParallelism() >= 2 && hasTaskset();
  const smoke = options.profile === 'smoke';
  const pool = smoke ? createSharedPool() : createFreshPool(pinned ? { server: 0, loadgen: 1 } : undefined);
  const settings: RunSettings = {
    pool,
    env: {},
    settleMs: smoke ? 30 : 100,
    // Each client is one descriptor; keep room for the process's own.
    maxClientsPerLoadgen: Math.max(100, Math.min(limit - 512, 15_000)),
    ...(options.cpuProfDir
      ? { cpuProfDir: options.cpuProfDir, profileAll: options.profileAll ?? false }
      : {}),
    ...(options.serverFlags ? { serverFlags: options.serverFlags } : {}),
  };
  const all = [...SCENARIOS, ...(options.extraScenarios ?? [])];
  const scenarios = all.filter((s) => !options.only || options.only.includes(s.id));
  const known = new Set(TARGETS.map((t) => t.id));
  const reports: ScenarioReport[] = [];

  async function runScenario(scenario: Scenario): Promise<ScenarioReport> {
    const sizes = options.profile === 'full' ? scenario.full : scenario.smoke;
    const targets = scenario.targets.filter(
      (id) => known.has(id) && (!options.targets || id === scenario.baseline || options.targets.includes(id)),
    );
    const runs: RunRecord[] = [];
    log(`scenario ${scenario.id}: ${scenario.title} (${targets.length} targets × ${rounds} rounds)`);
    for (let round = 1; round <= rounds; round++) {
      const shift = (round - 1) % targets.length;
      const order = [...targets.slice(shift), ...targets.slice(0, shift)];
      for (const id of order) {
        const runStarted = Date.now();
        const wallS = () => (Date.now() - runStarted) / 1000;
        try {
          const metrics = await runOne(scenario, sizes, targetById(id), round, settings);
          runs.push({ target: id, round, ok: true, load1: loadavg()[0]!, wallS: wallS(), metrics });
          log(`  ${scenario.id} r${round} ${id}: ${describe(scenario, metrics)} [${wallS().toFixed(1)} s]`);
        } catch (error) {
          const message = (error as Error).message;
          runs.push({ target: id, round, ok: false, load1: loadavg()[0]!, wallS: wallS(), error: message });
          log(`  ${scenario.id} r${round} ${id}: FAILED ${message.split('\n')[0]}`);
        }
      }
    }
    return {
      id: scenario.id,
      title: scenario.title,
      mode: scenario.mode,
      unit: scenario.unit,
      baseline: scenario.baseline,
      ...(scenario.goalText ? { goalText: scenario.goalText } : {}),
      sizes,
      runs,
      summary: summarize({ ...scenario, targets }, runs),
    };
  }

  try {
    const needed = new Set(scenarios.flatMap((s) => s.targets).filter((id) => known.has(id)));
    await pool.prestart([...needed].map(targetById));
    for (const scenario of scenarios) {
      const prepared = scenario.setup ? await scenario.setup() : undefined;
      settings.env = prepared?.env ?? {};
      try {
        reports.push(await runScenario(scenario));
      } finally {
        settings.env = {};
        await prepared?.teardown();
      }
    }
  } finally {
    await pool.close();
  }
  return {
    profile: options.profile,
    startedAt: new Date(started).toISOString(),
    durationS: (Date.now() - started) / 1000,
    rounds,
    loadAverage: { start: loadAtStart, end: loadavg()[0]! },
    machine: {
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      pinned,
      fdLimit: limit,
    },
    scenarios: reports,
  };
}

function describe(scenario: Scenario, m: RunMetrics): string {
  if (scenario.mode === 'idle')
    return `${m.connected} conns, ${m.rssPerConnKB.toFixed(1)} KB RSS/conn, ${m.heapPerConnKB.toFixed(1)} KB heap/conn`;
  const unit = scenario.unit === 'request' ? 'req' : 'deliveries';
  return (
    `${Math.round(m.unitsPerS)} ${unit}/s, ${m.usPerUnit.toFixed(2)} µs/${scenario.unit}, ` +
    `p50 ${m.p50Ms.toFixed(2)} p99 ${m.p99Ms.toFixed(2)} ms, server ${m.serverCpuPct.toFixed(0)}% ` +
    `loadgen ${m.loadgenCpuPct.toFixed(0)}%${m.errors.length ? ` errors: ${m.errors[0]}` : ''}`
  );
}
