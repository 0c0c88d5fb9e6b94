// Runs every test project once and ends with the plain `N passed, N failed` line CI reads.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

mkdirSync('.ci', { recursive: true });
const report = '.ci/vitest-report.json';
const run = spawnSync(
  'vitest',
  ['run', '--reporter=default', '--reporter=json', `--outputFile=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit', shell: false },
);
let status = run.status ?? 1;
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(
    `${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`,
  );
  if (r.numTotalTests === 0) status = 1;
} catch (error) {
  console.log(`0 passed, 1 failed (no vitest report: ${error.message})`);
  status = 1;
}
process.exit(status);
