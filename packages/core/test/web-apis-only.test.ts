import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const biome = join(root, 'node_modules/.bin/biome');

function lint(path: string): { ok: boolean; output: string } {
  try {
    const output = execFileSync(biome, ['lint', '--max-diagnostics=50', path], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return { ok: true, output };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('packages/core uses Web APIs only', () => {
  it('has no node: import in src (the lint rule passes)', () => {
    const result = lint('packages/core/src');
    expect(result.output).not.toContain('noNodejsModules');
    expect(result.ok).toBe(true);
  });

  it('the rule is in force: a node: import added to core/src fails lint', () => {
    const dir = mkdtempSync(join(root, 'packages/core/src/.lint-probe-'));
    try {
      writeFileSync(
        join(dir, 'probe.ts'),
        "import { setTimeout } from 'node:timers';\nexport const probe = setTimeout;\n",
      );
      const result = lint(dir);
      expect(result.ok).toBe(false);
      expect(result.output).toContain('noNodejsModules');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
