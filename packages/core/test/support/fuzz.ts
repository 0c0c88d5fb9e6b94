/**
 * The one way tests run fast-check properties, so every property in the repository:
 *
 * - honours `FUZZ_SEED` (and `FUZZ_PATH`) to replay a failure, and prints the command that does it;
 * - is counted: each test file prints `fuzz: N iterations across M properties (file)` when it ends,
 *   and the run prints the total (see `fuzz-report.ts`).
 *
 * Import `fuzz` for a synchronous property and `fuzzAsync` for an asynchronous one, in place of
 * `fc.assert`.
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, inject } from 'vitest';
// The type of inject('fuzzCounts') is declared there.
import type {} from './fuzz-report.ts';

/** What a file reports to the run's total. */
export interface FuzzCount {
  file: string;
  iterations: number;
  properties: number;
}

const count: FuzzCount = { file: '', iterations: 0, properties: 0 };

function parameters<Ts>(params: fc.Parameters<Ts>): fc.Parameters<Ts> {
  const seed = process.env.FUZZ_SEED;
  if (seed === undefined || seed === '') return params;
  const path = process.env.FUZZ_PATH;
  return { ...params, seed: Number(seed), ...(path ? { path } : {}) };
}

/** Counts a finished run and turns a failure into an error that says how to replay it. */
function settle<Ts>(details: fc.RunDetails<Ts>): void {
  count.properties++;
  count.iterations += details.numRuns;
  if (!details.failed) return;
  const test = expect.getState();
  // -t takes a pattern, matched against the test's name: its own name, escaped, is enough.
  const name = (test.currentTestName ?? '')
    .split(' > ')
    .at(-1)!
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const replay =
    `FUZZ_SEED=${details.seed}` +
    (details.counterexamplePath ? ` FUZZ_PATH=${details.counterexamplePath}` : '') +
    ` npx vitest run ${relative(process.cwd(), test.testPath ?? '')} -t '${name.replace(/'/g, "'\\''")}'`;
  throw new Error(`${fc.defaultReportMessage(details)}\n\nReplay with:\n  ${replay}`);
}

/** Runs a synchronous property (`fc.property`) like `fc.assert`. */
export function fuzz<Ts>(property: fc.IProperty<Ts>, params: fc.Parameters<Ts> = {}): void {
  settle(fc.check(property, parameters(params)));
}

/** Runs an asynchronous property (`fc.asyncProperty`) like `fc.assert`. */
export async function fuzzAsync<Ts>(
  property: fc.IAsyncProperty<Ts>,
  params: fc.Parameters<Ts> = {},
): Promise<void> {
  settle(await fc.check(property, parameters(params)));
}

afterAll(() => {
  if (count.properties === 0) return;
  count.file = relative(process.cwd(), expect.getState().testPath ?? 'unknown');
  console.log(`fuzz: ${count.iterations} iterations across ${count.properties} properties (${count.file})`);
  // Undefined when the file runs without the global setup (another config): the line above is then all.
  const dir = inject('fuzzCounts') as string | undefined;
  if (dir) writeFileSync(join(dir, `${count.file.replace(/[^\w.-]/g, '_')}.json`), JSON.stringify(count));
});
