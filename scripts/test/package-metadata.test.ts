// What npm shows for each published package: where it comes from, its licence (in the tarball, not
// only at the repository's root), the Node it needs, and ESM only. A new package that forgets one
// of these fails here rather than on its npm page.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const packagesDir = resolve(import.meta.dirname, '../../packages');
const published = readdirSync(packagesDir)
  .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')) }))
  .filter(({ json }) => json.private !== true);

describe('published package metadata', () => {
  it('finds the published packages', () => {
    expect(published.map((p) => p.dir)).toEqual(expect.arrayContaining(['core', 'postgres', 'testing']));
  });

  it.each(published)('$dir: repository, homepage, bugs, licence file, engines, ESM', ({ dir, json }) => {
    expect(json.name).toBe(`@tidings/${dir}`);
    expect(json.license).toBe('MIT');
    expect(existsSync(join(packagesDir, dir, 'LICENSE'))).toBe(true);
    expect(json.repository).toMatchObject({ type: 'git', directory: `packages/${dir}` });
    expect(json.homepage).toContain(`packages/${dir}`);
    expect(json.bugs?.url).toMatch(/\/issues$/);
    expect(json.engines?.node).toMatch(/^>=22\./);
    expect(json.type).toBe('module');
    expect(json.files).toContain('dist');
    expect(existsSync(join(packagesDir, dir, 'README.md'))).toBe(true);
  });
});
