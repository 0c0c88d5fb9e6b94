import type { BenchReport, GoalResult, ScenarioReport, TargetSummary } from '../run-bench.ts';
import { formatCount, formatNumber, formatRatio } from './format.ts';

const METRIC_NAMES: Record<GoalResult['metric'], string> = {
  unitsPerS: 'throughput',
  usPerUnit: 'µs',
  p99Ms: 'p99',
  rssPerConnKB: 'RSS/conn',
  heapPerConnKB: 'heap/conn',
};

function goalCell(summary: TargetSummary): string {
  if (summary.goals.length === 0) return '';
  const missed = summary.goals.filter((g) => !g.pass);
  if (missed.length === 0) return '**met**';
  return `**missed**: ${missed.map((g) => `${METRIC_NAMES[g.metric]} ${formatRatio(g.value)} (goal ${g.op} ${g.ratio})`).join(', ')}`;
}

function label(summary: TargetSummary, baseline: string): string {
  const name = summary.target === baseline ? `**${summary.label}** (baseline)` : summary.label;
  return summary.okRounds === 0 ? `${name} — all rounds failed` : name;
}

function activeTable(scenario: ScenarioReport): string {
  const unit = scenario.unit === 'request' ? 'request' : 'delivery';
  const rate = scenario.unit === 'request' ? 'requests/s' : 'deliveries/s';
  // Long polling: how many events an answer carried, the batching that issue 5's goal C is about.
  const batching =
    scenario.unit === 'delivery' && scenario.summary.some((s) => s.median.eventsPerResponse > 0);
  const lines = [
    `| target | ${rate} | × | server µs/${unit} | × | p50 ms | p99 ms | × | p999 ms | ${batching ? 'events/answer | ' : ''}server CPU | loadgen CPU | RSS MB | goal |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ${batching ? '---: | ' : ''}---: | ---: | ---: | --- |`,
  ];
  for (const s of scenario.summary) {
    const m = s.median;
    const r = s.ratio;
    lines.push(
      `| ${label(s, scenario.baseline)} | ${formatCount(m.unitsPerS)} | ${formatRatio(r.unitsPerS)} | ` +
        `${formatNumber(m.usPerUnit)} | ${formatRatio(r.usPerUnit)} | ${formatNumber(m.p50Ms)} | ` +
        `${formatNumber(m.p99Ms)} | ${formatRatio(r.p99Ms)} | ${formatNumber(m.p999Ms)} | ` +
        `${batching ? `${formatNumber(m.eventsPerResponse)} | ` : ''}` +
        `${formatNumber(m.serverCpuPct)} % | ${formatNumber(m.loadgenCpuPct)} % | ${formatNumber(m.rssMB)} | ${goalCell(s)} |`,
    );
  }
  return lines.join('\n');
}

function idleTable(scenario: ScenarioReport): string {
  const lines = [
    '| target | RSS KB/conn | × | heap KB/conn | × | RSS MB | goal |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const s of scenario.summary) {
    const m = s.median;
    const r = s.ratio;
    lines.push(
      `| ${label(s, scenario.baseline)} | ${formatNumber(m.rssPerConnKB)} | ${formatRatio(r.rssPerConnKB)} | ` +
        `${formatNumber(m.heapPerConnKB)} | ${formatRatio(r.heapPerConnKB)} | ${formatNumber(m.rssMB)} | ${goalCell(s)} |`,
    );
  }
  return lines.join('\n');
}

function sizesLine(scenario: ScenarioReport): string {
  const z = scenario.sizes;
  const parts = [`${z.clients.toLocaleString('en-US')} clients`];
  if (scenario.mode === 'window') parts.push(`window ${z.window} events, bursts of ${z.burst}`);
  if (z.ratePerS) parts.push(`${z.ratePerS} events/s`);
  if (scenario.mode !== 'idle')
    parts.push(`${z.warmupMs / 1000} s warm-up, ${z.durationMs / 1000} s measured`);
  const failures = scenario.runs.filter((r) => !r.ok);
  if (failures.length > 0)
    parts.push(
      `${failures.length} failed run(s): ${failures.map((f) => `${f.target} r${f.round}`).join(', ')}`,
    );
  return parts.join('; ');
}

/** The tables of every scenario, as Markdown. */
export function renderTables(report: BenchReport): string {
  const out: string[] = [];
  for (const scenario of report.scenarios) {
    out.push(`### ${scenario.id}: ${scenario.title}`, '');
    out.push(
      `${sizesLine(scenario)}.${scenario.goalText ? ` Goal for tidings: ${scenario.goalText}.` : ''}`,
      '',
    );
    out.push(scenario.mode === 'idle' ? idleTable(scenario) : activeTable(scenario), '');
  }
  return out.join('\n');
}

/** Machine, method line and tables: the generated section of docs/benchmarks.md. */
export function renderSection(report: BenchReport, chartPath: string): string {
  const m = report.machine;
  const load = report.loadAverage;
  return [
    `Run of ${report.startedAt.slice(0, 10)}: ${m.cpus} × ${m.cpuModel}, Node ${m.node}, ${m.platform}; ` +
      `${m.pinned ? 'server and load generator pinned to different cores with taskset' : 'not pinned (no taskset or one core)'}; ` +
      `${report.rounds} interleaved rounds, medians; load average ${load.start.toFixed(1)} at the start, ` +
      `${load.end.toFixed(1)} at the end; ${Math.round(report.durationS / 60)} min in all.`,
    '',
    '"×" is the median over rounds of the target\'s figure divided by the baseline\'s figure from the same round. ' +
      'Server CPU is user + system time of the server process (all threads) during the measured window; ' +
      '"µs/delivery" is that CPU time per second divided by the deliveries per second the clients received ' +
      '(for D, "µs/request": per answer). "loadgen CPU" near 100 % means the load generator, not the server, ' +
      'set the deliveries/s; "server CPU" near 100 % means the server did.',
    '',
    `![Server CPU per delivery and memory per connection, by target](${chartPath})`,
    '',
    renderTables(report),
  ].join('\n');
}
