// `pnpm bench` (full set, writes bench/results and docs/benchmarks.md) and `pnpm bench:smoke`
// (tiny sizes, prints the tables, writes nothing). Flags: --rounds N, --only A,B, --targets a,b,
// --cpu-prof (profiles of the tidings servers into a temporary directory), --profile-all (with
// --cpu-prof: baselines and peers too, to compare heap snapshots), --server-flags="..." (node flags
// for every server, for experiments), --no-write.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { redisScenarios } from './redis-scenario.ts';
import { renderTables } from './report/markdown.ts';
import { summarizeProfiles } from './report/profile-summary.ts';
import { writeReport } from './report/write-report.ts';
import { runBench } from './run-bench.ts';

// `pnpm bench -- --only A` (npm's habit) reaches us with the `--` under pnpm 12: it only separates.
const args = process.argv.slice(2);
if (args[0] === '--') args.shift();
const { values } = parseArgs({
  args,
  options: {
    smoke: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    only: { type: 'string' },
    targets: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    'profile-all': { type: 'boolean', default: false },
    'server-flags': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});

const profile = values.smoke ? 'smoke' : 'full';
const resultsDir = new URL('../results/', import.meta.url);
const cpuProfDir = values['cpu-prof'] ? mkdtempSync(join(tmpdir(), 'tidings-bench-profiles-')) : undefined;
const report = await runBench({
  profile,
  ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
  ...(values.only ? { only: values.only.split(',') } : {}),
  ...(values.targets ? { targets: values.targets.split(',') } : {}),
  ...(cpuProfDir ? { cpuProfDir, profileAll: values['profile-all'] } : {}),
  ...(values['server-flags'] ? { serverFlags: values['server-flags'].split(' ').filter(Boolean) } : {}),
  extraScenarios: await redisScenarios(),
  log: (line) => console.log(line),
});
console.log(`\n${renderTables(report)}`);
if (profile === 'full' && !values['no-write']) {
  const written = await writeReport(report, resultsDir, new URL('../../docs/benchmarks.md', import.meta.url));
  console.log(`wrote ${written.join(', ')}`);
}
if (cpuProfDir) {
  console.log(await summarizeProfiles(cpuProfDir));
  console.log(
    `\nCPU profiles (measured window) and heap snapshots (idle) of the tidings servers: ${cpuProfDir}`,
  );
}
const failed = report.scenarios.flatMap((s) => s.runs.filter((r) => !r.ok));
if (failed.length > 0) {
  console.error(`${failed.length} run(s) failed`);
  process.exitCode = 1;
}
