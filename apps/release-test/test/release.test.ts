import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
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
  for (const f of ['receive.mjs', `${name}-server.mjs`])
    copyFileSync(join(here, 'consumers', f), join(dir, f));
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
    for (const name of ['core', 'node', 'express', 'koa', 'hono', 'client', 'redis']) {
      const manifest = await (await fetch(`${registry.url}/@tidings/${name}`)).json();
      expect(Object.keys(manifest.versions)).toContain(version);
    }
  });

  it('@tidings/express from the registry, with npm, receives an event over SSE and WebSocket', async () => {
    const dir = await installConsumer('express', [
      `@tidings/express@${version}`,
      `@tidings/core@${version}`,
      'express@5.3.0',
    ]);
    const result = JSON.parse(await run('node', ['express-server.mjs'], dir));
    expect(result.sse).toEqual({
      id: result.id,
      topic: 'greetings',
      event: 'message',
      data: { hello: 'from express' },
    });
    expect(result.ws).toEqual({ type: 'event', ...result.sse });
  });

  it('@tidings/hono from the registry, with npm, receives an event over SSE and WebSocket on @hono/node-server', async () => {
    const dir = await installConsumer('hono', [
      `@tidings/hono@${version}`,
      `@tidings/core@${version}`,
      `@tidings/node@${version}`,
      'hono@4.13.19',
      '@hono/node-server@2.1.9',
    ]);
    const result = JSON.parse(await run('node', ['hono-server.mjs'], dir));
    expect(result.sse).toEqual({
      id: result.id,
      topic: 'greetings',
      event: 'message',
      data: { hello: 'from hono' },
    });
    expect(result.ws).toEqual({ type: 'event', ...result.sse });
  });
});
