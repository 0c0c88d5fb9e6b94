import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'tidings-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('counts a test file that fails before its tests run as failed, and exits 1', () => {
  // A project of its own in a temp dir: one passing test, one file that throws while loading
  // (what a missing browser or server does to a suite), using vitest's globals so nothing is imported.
  writeFileSync(
    join(dir, 'vitest.config.mjs'),
    'export default { test: { globals: true, include: ["*.test.js"] } };',
  );
  writeFileSync(join(dir, 'good.test.js'), 'it("passes", () => {});');
  writeFileSync(join(dir, 'broken.test.js'), 'throw new Error("no chromium here");');
  const run = spawnSync(process.execPath, [join(repo, 'scripts/test.mjs')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${join(repo, 'node_modules/.bin')}${delimiter}${process.env.PATH}` },
  });
  const lines = run.stdout.trim().split('\n');
  expect(lines.at(-1)).toBe('1 passed, 1 failed');
  expect(run.stdout).toContain('failed before its tests ran');
  expect(run.stdout).toContain('no chromium here');
  expect(run.status).toBe(1);
});
