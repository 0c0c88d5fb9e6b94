/**
 * A vitest global setup that prints the run's total of fuzz iterations, summed over every test file
 * of every project that uses it (each file writes its count through `fuzz.ts`). The projects
 * share one directory and the last teardown prints, so the total is one line per run.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { FuzzCount } from './fuzz.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where each test file writes its fuzz count (see fuzz.ts). */
    fuzzCounts: string;
  }
}

interface Shared {
  dir: string;
  users: number;
}

const KEY = Symbol.for('tidings.fuzz-report');

export default function setup(project: TestProject): () => void {
  const global = globalThis as { [KEY]?: Shared };
  global[KEY] ??= { dir: mkdtempSync(join(tmpdir(), 'tidings-fuzz-')), users: 0 };
  const shared = global[KEY];
  shared.users++;
  project.provide('fuzzCounts', shared.dir);
  return () => {
    if (--shared.users > 0) return;
    delete global[KEY];
    const counts = readdirSync(shared.dir).map(
      (name) => JSON.parse(readFileSync(join(shared.dir, name), 'utf8')) as FuzzCount,
    );
    rmSync(shared.dir, { recursive: true, force: true });
    if (counts.length === 0) return;
    const iterations = counts.reduce((sum, c) => sum + c.iterations, 0);
    const properties = counts.reduce((sum, c) => sum + c.properties, 0);
    console.log(
      `fuzz: ${iterations} iterations across ${properties} properties in ${counts.length} files (total)`,
    );
  };
}
