// Runs every test project once and ends with the plain `N passed, N failed` line CI reads. A test
// file that fails before its tests run (a setup error, a missing browser) counts as one failure:
// vitest's own counts leave it out, and a summary that says "0 failed" while exiting 1 misleads.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

mkdirSync('.ci', { recursive: true });
const report = '.ci/vitest-report.json';
rmSync(report, { force: true });
const run = spawnSync(
  'vitest',
  ['run', '--reporter=default', '--reporter=json', `--outputFile=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit', shell: false },
);
let status = run.status ?? 1;
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  const brokenFiles = r.testResults.filter(
    (file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed'),
  );
  for (const file of brokenFiles) {
    console.log(`failed before its tests ran: ${file.name}\n  ${(file.message ?? '').split('\n')[0]}`);
  }
  const failed = r.numFailedTests + brokenFiles.length;
  console.log(`${r.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  if (r.numTotalTests === 0 || failed > 0) status = 1;
} catch (error) {
  console.log(`0 passed, 1 failed (no vitest report: ${error.message})`);
  status = 1;
}
process.exit(status);
