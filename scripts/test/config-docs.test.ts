import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENT_DEFAULTS } from '../../packages/client/src/index.ts';
import { HUB_DEFAULTS } from '../../packages/core/src/index.ts';
import { REDIS_BROKER_DEFAULTS } from '../../packages/redis/src/index.ts';

const repo = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(repo, path), 'utf8');
const doc = read('docs/configuration.md');

/** The part of configuration.md from `heading` to the next `## ` heading. */
function section(heading: string): string {
  const start = doc.indexOf(`\n## ${heading}`);
  expect(start, heading).toBeGreaterThan(-1);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
}

/** The table row documenting `name` in `text`. */
function rowOf(text: string, name: string): string | undefined {
  return text.split('\n').find((line) => line.startsWith(`| \`${name}\``));
}

/** `{ name: jsdoc }` for every field of `interface <name>` in a source file. */
function documentedFields(path: string, name: string): Record<string, string> {
  const source = read(path);
  const start = source.indexOf(`export interface ${name} `);
  const body = source.slice(start, source.indexOf('\n}', start));
  const fields: Record<string, string> = {};
  for (const match of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+)\??:/g)) fields[match[2]!] = match[1]!;
  return fields;
}

// The hub's options are in the sections before the framework packages.
const hubPart = doc.slice(0, doc.indexOf('\n## Framework packages'));

describe('docs/configuration.md agrees with the code', () => {
  it.each(Object.entries(HUB_DEFAULTS))('hub option %s: documented with its default', (name, value) => {
    const row = rowOf(hubPart, name);
    expect(row, `no row for ${name}`).toBeDefined();
    expect(row).toContain(`\`${value}\``);
  });

  it('every hub option has a row and a JSDoc that states its default', () => {
    const fields = documentedFields('packages/core/src/options.ts', 'HubOptions');
    expect(Object.keys(fields).length).toBeGreaterThan(20);
    for (const [name, jsdoc] of Object.entries(fields)) {
      expect(rowOf(hubPart, name), `no row for ${name}`).toBeDefined();
      expect(jsdoc, `${name}'s JSDoc`).toMatch(/Default|Required/);
    }
  });

  it.each(Object.entries(CLIENT_DEFAULTS).filter(([, v]) => typeof v === 'number'))(
    'client option %s: documented with its default',
    (name, value) => {
      const row = rowOf(section('`@tidings/client`'), name);
      expect(row, `no row for ${name}`).toBeDefined();
      expect(row).toContain(`\`${value}\``);
    },
  );

  it('every client option has a row and a JSDoc that states its default', () => {
    const fields = documentedFields('packages/client/src/options.ts', 'ClientOptions');
    for (const [name, jsdoc] of Object.entries(fields)) {
      expect(rowOf(section('`@tidings/client`'), name), `no row for ${name}`).toBeDefined();
      expect(jsdoc, `${name}'s JSDoc`).toMatch(/Default|Required/);
    }
  });

  it.each(Object.entries(REDIS_BROKER_DEFAULTS))(
    'Redis broker option %s: documented with its default',
    (name, value) => {
      const row = rowOf(section('`@tidings/redis`'), name);
      expect(row, `no row for ${name}`).toBeDefined();
      expect(row).toContain(typeof value === 'string' ? `'${value}'` : `\`${value}\``);
    },
  );
});
