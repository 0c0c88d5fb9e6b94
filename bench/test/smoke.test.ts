import { describe, expect, it } from 'vitest';
import { redisScenarios } from '../src/redis-scenario.ts';
import { renderTables } from '../src/report/markdown.ts';
import { renderChart } from '../src/report/svg-chart.ts';
import { type BenchReport, runBench } from '../src/run-bench.ts';
import { SCENARIOS } from '../src/scenarios.ts';

// The whole benchmark at tiny sizes (a few clients, a fraction of a second per run, one round):
// proves every target, transport and scenario works end to end over real processes and sockets.
// It asserts that events arrive and that every figure is a number, never that anything is fast.
describe('bench:smoke', () => {
  let report: BenchReport;

  it('runs every scenario against every target, and events reach the clients', async () => {
    const extra = await redisScenarios();
    report = await runBench({ profile: 'smoke', extraScenarios: extra });
    expect(report.scenarios.map((s) => s.id)).toEqual([...SCENARIOS, ...extra].map((s) => s.id));
    for (const scenario of report.scenarios) {
      expect(scenario.runs.length, scenario.id).toBeGreaterThan(1);
      for (const run of scenario.runs) {
        const where = `${scenario.id} ${run.target}`;
        expect(run.error, where).toBeUndefined();
        expect(run.ok, where).toBe(true);
        const m = run.metrics!;
        expect(m.connected, where).toBe(m.clients);
        if (scenario.mode === 'idle') {
          expect(Number.isFinite(m.rssPerConnKB), where).toBe(true);
          expect(Number.isFinite(m.heapPerConnKB), where).toBe(true);
          continue;
        }
        expect(m.published, where).toBeGreaterThan(0);
        expect(m.deliveries, where).toBeGreaterThan(0);
        if (scenario.unit === 'request') expect(m.responses, where).toBeGreaterThan(0);
        for (const value of [m.unitsPerS, m.usPerUnit, m.p50Ms, m.p99Ms, m.p999Ms, m.rssMB, m.serverCpuPct])
          expect(Number.isFinite(value), where).toBe(true);
        expect(m.p50Ms, where).toBeLessThanOrEqual(m.p99Ms);
        // Publish and receive times share one clock: a latency at or below zero would be a harness bug.
        expect(m.latency!.minUs, where).toBeGreaterThan(0);
      }
    }
  }, 120_000);

  it('divides every figure by the baseline of the same round and renders tables and a chart', () => {
    for (const scenario of report.scenarios) {
      const baseline = scenario.summary.find((s) => s.target === scenario.baseline)!;
      const metric = scenario.mode === 'idle' ? 'heapPerConnKB' : 'usPerUnit';
      expect(baseline.ratio[metric], scenario.id).toBe(1);
      // Every goal that applies to a tidings target is judged for it (a goal may name its targets).
      const goals = SCENARIOS.find((s) => s.id === scenario.id)?.goals ?? [];
      for (const summary of scenario.summary)
        if (summary.family === 'tidings') {
          const applies = goals.filter(
            (g) => (!g.only || g.only.includes(summary.target)) && !g.except?.includes(summary.target),
          );
          expect(summary.goals.length, `${scenario.id} ${summary.target}`).toBe(applies.length);
        }
    }
    const tables = renderTables(report);
    for (const scenario of report.scenarios) expect(tables).toContain(`### ${scenario.id}:`);
    const svg = renderChart(report);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('tidings, bare node:http (serve)');
  });
});
