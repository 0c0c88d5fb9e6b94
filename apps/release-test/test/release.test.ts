import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRegistry, startRegistry } from '../src/registry.ts';
import { run } from '../src/shell.ts';

const here = resolve(import.meta.dirname, '..');
const repo = resolve(here, '../..');
const work = mkdtempSync(join(tmpdir(), 'tidings-release-'));
const copy = join(work, 'repo');
let registry: LocalRegistry;
let version = '';

/** Copies the workspace's own files (tracked and new, as git sees them), not node_modules or builds. */
function copyWorkspace(): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repo,
  })
    .toString()
    .split('\0')
    .filter((f) => f && existsSync(join(repo, f)));
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(join(repo, file), join(copy, file));
  }
}

async function installConsumer(name: string, packages: string[]): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  writeFileSync(join(dir, '.npmrc'), `@tidings:registry=${registry.url}/\n`);
  for (const f of ['receive.mjs', 'scratch-app.mjs']) copyFileSync(join(here, 'consumers', f), join(dir, f));
  await run('npm', ['install', '--no-audit', '--no-fund', ...packages], dir);
  return dir;
}

beforeAll(async () => {
  copyWorkspace();
  const env = { CI: 'true', TURBO_TELEMETRY_DISABLED: '1' };
  await run('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], copy, env);
  writeFileSync(
    join(copy, '.changeset/release-test.md'),
    '---\n"@tidings/core": minor\n---\n\nRelease rehearsal.\n',
  );
  await run('pnpm', ['exec', 'changeset', 'version'], copy, env);
  version = JSON.parse(readFileSync(join(copy, 'packages/core/package.json'), 'utf8')).version;
  await run('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=./packages/*'], copy, env);
  registry = await startRegistry(work, join(here, 'node_modules/.bin/verdaccio'));
  const host = registry.url.replace(/^http:/, '');
  writeFileSync(
    join(copy, '.npmrc'),
    `registry=${registry.url}/\n${host}/:_authToken=${registry.token}\ngit-checks=false\n`,
  );
  await run('git', ['init', '-q', '-b', 'main'], copy);
  await run('git', ['add', '-A'], copy);
  await run('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@localhost', 'commit', '-qm', 'release'], copy);
  await run('pnpm', ['exec', 'changeset', 'publish'], copy, env);
});

afterAll(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('a release installs and works like a user would meet it', () => {
  it('versions every public package together (the fixed group)', async () => {
    expect(version).toMatch(/^0\.\d+\.\d+$/);
    expect(version).not.toBe('0.0.0');
    for (const name of ['core', 'node', 'express', 'koa', 'hono', 'client', 'redis', 'postgres', 'testing']) {
      const manifest = await (await fetch(`${registry.url}/@tidings/${name}`)).json();
      expect(Object.keys(manifest.versions)).toContain(version);
    }
  });

  // One scratch app per adapter, installed with npm from the registry: its own routes that end in
  // route names stay its own, and SSE and WebSocket work at the documented path, mounted at the
  // root and under a framework prefix.
  const adapters: [string, string[]][] = [
    ['express', ['@tidings/express@VERSION', 'express@5.3.0']],
    ['koa', ['@tidings/koa@VERSION', 'koa@3.3.0', 'koa-mount@4.2.0']],
    ['hono', ['@tidings/hono@VERSION', '@tidings/node@VERSION', 'hono@4.13.19', '@hono/node-server@2.1.9']],
  ];
  for (const [adapter, packages] of adapters) {
    it(`@tidings/${adapter} from the registry, mounted at the root and under a prefix, keeps the app's routes`, async () => {
      const dir = await installConsumer(adapter, [
        `@tidings/core@${version}`,
        ...packages.map((p) => p.replace('VERSION', version)),
      ]);
      for (const mount of ['root', 'prefixed']) {
        const result = JSON.parse(await run('node', ['scratch-app.mjs', adapter, mount], dir));
        expect(result.own, mount).toEqual({
          publish: { app: 'POST /api/x/publish' },
          poll: { app: 'GET /api/x/poll' },
        });
        expect(result.sse, mount).toEqual({
          id: result.id,
          topic: 'greetings',
          event: 'message',
          data: { hello: adapter },
        });
        expect(result.ws, mount).toEqual({ type: 'event', ...result.sse });
      }
    });
  }

  // The recipes of docs/testing.md, as apps/examples/testing runs them in the workspace, run again
  // here from the published packages: a component test, Chromium behind a buffering proxy, a slow
  // consumer. vitest comes from npm, as a user's would.
  it('@tidings/testing from the registry runs the three recipes of docs/testing.md', async () => {
    const dir = await installConsumer('testing', [
      ...['core', 'node', 'client', 'testing'].map((name) => `@tidings/${name}@${version}`),
      'esbuild@0.28.2',
      'playwright-core@1.65.1',
      'vitest@5.1.2',
    ]);
    const example = join(repo, 'apps/examples/testing');
    for (const part of ['src', 'public', 'test'])
      cpSync(join(example, part), join(dir, part), { recursive: true });
    const report = join(dir, 'report.json');
    await run('npx', ['vitest', 'run', '--reporter=json', `--outputFile=${report}`], dir);
    const result = JSON.parse(readFileSync(report, 'utf8'));
    const names = result.testResults.flatMap(
      (file: { assertionResults: { title: string; status: string }[] }) =>
        file.assertionResults.map((test) => `${test.status}: ${test.title}`),
    );
    expect(result.numFailedTests, names.join('\n')).toBe(0);
    expect(names).toEqual(
      expect.arrayContaining([
        'passed: shows "reconnecting…" while the network is down, then the scores it missed, in order',
        'passed: shows live scores behind a proxy that buffers responses and refuses WebSockets',
        'passed: cuts a viewer whose network stalls, never slows the others, and lets it resume once it moves',
      ]),
    );
    // Resolved from the installed packages' builds, not from the workspace's sources.
    expect(existsSync(join(dir, 'node_modules/@tidings/testing/dist/index.js'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules/@tidings/testing/src'))).toBe(false);
  });
});
