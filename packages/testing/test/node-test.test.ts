// The kit under node:test, for real: node runs test/node-test/kit.node-test.ts with its own test
// runner, and this test reads what the runner reported. A negative control proves a failing
// assertion inside that file fails the run (so the pass below is not a run that checked nothing).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const FILE = fileURLToPath(new URL('./node-test/kit.node-test.ts', import.meta.url));

/** Runs the file with `node --test` (TAP output) and resolves with its exit code and output. */
function nodeTest(env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const inherited = { ...process.env };
  // Set when node:test itself starts a file; it would change how the child reports.
  delete inherited.NODE_TEST_CONTEXT;
  delete inherited.TIDINGS_NODE_TEST_CONTROL;
  const child = spawn(process.execPath, ['--conditions=source', '--test', '--test-reporter=tap', FILE], {
    cwd: PACKAGE,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node --test did not finish:\n${output}`));
    }, 25_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the kit under node:test', () => {
  it('runs the docs recipe with node --test, and it passes', { timeout: 30_000 }, async () => {
    const { code, output } = await nodeTest();
    expect(output).toMatch(/^ok 1 - a poller gets the scores it missed while the gateway answered 503$/m);
    expect(output).toMatch(/^# tests 1$/m);
    expect(output).toMatch(/^# pass 1$/m);
    expect(output).toMatch(/^# fail 0$/m);
    expect(code, output).toBe(0);
  });

  it('fails the run when an assertion inside fails (negative control)', { timeout: 30_000 }, async () => {
    const { code, output } = await nodeTest({ TIDINGS_NODE_TEST_CONTROL: '1' });
    expect(output).toMatch(/^ok 1 - a poller gets/m);
    expect(output).toMatch(/^not ok 2 - control: the recorder fails the run when an event is missing$/m);
    expect(output).toContain('delivery incomplete: 2 published, 1 received');
    expect(output).toMatch(/^# tests 2$/m);
    expect(output).toMatch(/^# pass 1$/m);
    expect(output).toMatch(/^# fail 1$/m);
    expect(code, output).toBe(1);
  });
});
