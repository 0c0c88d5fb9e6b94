// Every ```ts block of the READMEs and docs that is a complete module (its first line of code is an
// `import`) must typecheck, strictly, against the packages as they are: a snippet is the first code
// a user copies, and a renamed option or a moved export should fail here, not in their editor.
// Fragments (blocks that start with anything else) are left alone. A block taken from a file the
// repository tests (the recipes in docs/testing.md) says so on the line above its fence,
// `<!-- from apps/examples/testing/test/feed-view.test.ts -->`, and must appear in that file word for
// word (that file is typechecked and run by its own project).
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');

interface Snippet {
  /** The Markdown file, relative to the repository. */
  doc: string;
  /** The block's number among the file's ```ts blocks, from 1. */
  block: number;
  /** The line of the Markdown file where the block's code starts. */
  line: number;
  code: string;
  /** The file it is written to, in the temp folder. */
  file: string;
}

function docFiles(): string[] {
  const inDir = (dir: string) =>
    readdirSync(resolve(repo, dir))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `${dir}/${name}`);
  const packages = readdirSync(resolve(repo, 'packages'))
    .map((name) => `packages/${name}/README.md`)
    .filter((path) => existsSync(resolve(repo, path)));
  return ['README.md', ...inDir('docs'), ...packages];
}

/** The ```ts blocks of a Markdown text, fences indented or not (inside a list item, say). */
function tsBlocks(text: string): { line: number; code: string; copyOf?: string }[] {
  const lines = text.split('\n');
  const blocks: { line: number; code: string; copyOf?: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```ts\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j]!)) body.push(lines[j++]!.slice(indent));
    const copyOf = /^\s*<!-- from (\S+) -->\s*$/.exec(lines[i - 1] ?? '')?.[1];
    blocks.push({ line: i + 2, code: `${body.join('\n')}\n`, ...(copyOf ? { copyOf } : {}) });
    i = j;
  }
  return blocks;
}

/** A complete module: its first line that is neither blank nor a `//` comment is an import. */
function isModule(code: string): boolean {
  const first = code.split('\n').find((line) => line.trim() !== '' && !line.trim().startsWith('//'));
  return first?.startsWith('import ') ?? false;
}

const snippets: Snippet[] = [];
const copies: { doc: string; block: number; code: string; copyOf: string }[] = [];
for (const doc of docFiles()) {
  tsBlocks(readFileSync(resolve(repo, doc), 'utf8')).forEach((block, index) => {
    // A copy is checked against its file, which its own project typechecks and runs.
    if (block.copyOf) {
      copies.push({ doc, block: index + 1, code: block.code, copyOf: block.copyOf });
      return;
    }
    if (!isModule(block.code)) return;
    const file = `${doc.replace(/[^A-Za-z0-9]+/g, '-')}-${index + 1}.ts`;
    snippets.push({ doc, block: index + 1, line: block.line, code: block.code, file });
  });
}

/** The package a bare import specifier names (`hono/bun` → `hono`, `@koa/router` → `@koa/router`). */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('cloudflare:')) {
    return undefined;
  }
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

// Where the workspace installs its dependencies: every package's own node_modules (pnpm links each
// package's dependencies there), then the root's.
const installDirs = ['packages', 'apps/examples', 'apps', 'bench']
  .flatMap((dir) =>
    existsSync(resolve(repo, dir, 'node_modules'))
      ? [resolve(repo, dir, 'node_modules')]
      : readdirSync(resolve(repo, dir)).map((name) => resolve(repo, dir, name, 'node_modules')),
  )
  .concat(resolve(repo, 'node_modules'))
  .filter((dir) => existsSync(dir));

/** Where `name` is: a workspace package's folder for `@tidings/*`, else an installed copy. */
function locate(name: string): string | undefined {
  if (name.startsWith('@tidings/')) {
    const dir = resolve(repo, 'packages', name.slice('@tidings/'.length));
    return existsSync(dir) ? dir : undefined;
  }
  return installDirs.map((dir) => join(dir, name)).find((path) => existsSync(path));
}

// Runtime globals the Bun and Deno snippets use, as a Bun or Deno project's own typings declare them.
const RUNTIMES = `declare const Bun: {
  env: Record<string, string | undefined>;
  serve(options: { fetch: (request: Request, server: any) => Response | Promise<Response>; websocket?: unknown; port?: number; hostname?: string }): { port: number; stop(): void };
};
declare const Deno: {
  env: { get(name: string): string | undefined };
  exit(code?: number): never;
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  serve(options: { port?: number; hostname?: string }, handler: (request: Request, info: any) => Response | Promise<Response>): { shutdown(): Promise<void> };
};
`;

// A canary in the same run: if packages stopped resolving to their types (everything `any`), or the
// checker stopped reporting, this file would come back clean and the test below would say so.
const CANARY = `import { createHub } from '@tidings/core';
createHub({ anonymous: true, longPollTimeoutS: 25 });
`;

let dir = '';
const errors = new Map<string, string[]>();
const stray: string[] = [];

beforeAll(() => {
  // Inside the repository, so the base tsconfig and @types/node are found as in any package.
  dir = mkdtempSync(join(repo, '.doc-snippets-'));
  const modules = join(dir, 'node_modules');
  const linked = new Set<string>();
  const link = (name: string) => {
    if (linked.has(name)) return;
    linked.add(name);
    const target = locate(name);
    if (!target) return; // tsc then reports the import it cannot resolve
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(target, join(modules, name), 'dir');
  };
  for (const snippet of [...snippets, { code: CANARY }]) {
    for (const [, specifier] of snippet.code.matchAll(/(?:from|import)\s+'([^']+)'/g)) {
      const name = packageOf(specifier!);
      if (!name) continue;
      link(name);
      // Types published apart: @types/express, @types/koa__router.
      const types = `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
      if (locate(types)) link(types);
    }
  }
  for (const snippet of snippets) writeFileSync(join(dir, snippet.file), snippet.code);
  writeFileSync(join(dir, 'canary.ts'), CANARY);
  writeFileSync(join(dir, 'runtimes.d.ts'), RUNTIMES);
  const base = relative(dir, resolve(repo, 'tsconfig.base.json'));
  // `@tidings/hono/cloudflare` resolves to its sources, which need the package's own declaration of
  // `cloudflare:workers` (a Workers project has the runtime's).
  const workers = relative(dir, resolve(repo, 'packages/hono/src/cloudflare/workers.d.ts'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: base,
      // An app's settings: strict as the base, without the declaration rules that bind libraries.
      compilerOptions: { types: ['node'], declaration: false, isolatedDeclarations: false },
      include: ['*.ts', workers],
    }),
  );
  const run = spawnSync(
    process.execPath,
    [resolve(repo, 'node_modules/typescript/bin/tsc'), '-p', dir, '--pretty', 'false'],
    { cwd: dir, encoding: 'utf8' },
  );
  const byFile = new Map(snippets.map((s) => [s.file, s]));
  let last: string[] | undefined;
  for (const line of `${run.stdout}${run.stderr}`.split('\n')) {
    if (!line.trim()) continue;
    // A message that runs over several lines continues, indented, under its error.
    if (/^\s/.test(line) && last) {
      last.push(line.trim());
      continue;
    }
    const found = /^(.+?)\((\d+),(\d+)\): (error .*)$/.exec(line);
    if (!found) {
      stray.push(line);
      last = undefined;
      continue;
    }
    const [, file, row, column, message] = found;
    const snippet = byFile.get(file!);
    const key = snippet ? snippet.file : file === 'canary.ts' ? 'canary.ts' : 'elsewhere';
    const where = snippet
      ? `${snippet.doc}:${snippet.line + Number(row) - 1}:${column}`
      : `${file}(${row},${column})`;
    const list = errors.get(key) ?? [];
    errors.set(key, list);
    list.push(`${where} ${message}`);
    last = list;
  }
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('TypeScript snippets in the docs', () => {
  it('finds the complete snippets of the READMEs and docs', () => {
    expect(snippets.length).toBeGreaterThan(20);
    for (const doc of ['README.md', 'docs/edge.md', 'packages/core/README.md', 'packages/hono/README.md']) {
      expect(
        snippets.some((s) => s.doc === doc),
        doc,
      ).toBe(true);
    }
  });

  it('checks them for real: a canary with a removed option fails', () => {
    expect(errors.get('canary.ts')?.join('\n')).toMatch(/longPollTimeoutS/);
    expect(stray, 'tsc printed something that is not an error line').toEqual([]);
  });

  it('the packages the snippets reach typecheck with them', () => {
    expect(errors.get('elsewhere') ?? []).toEqual([]);
  });

  it.each(snippets.map((s) => [`${s.doc} block ${s.block} (line ${s.line})`, s] as const))(
    '%s typechecks',
    (_name, snippet) => {
      const found = errors.get(snippet.file) ?? [];
      expect(found, `${snippet.doc}, block ${snippet.block}:\n${found.join('\n')}`).toEqual([]);
    },
  );

  it.each(copies.map((c) => [`${c.doc} block ${c.block} is in ${c.copyOf}`, c] as const))(
    '%s',
    (_name, copy) => {
      const file = readFileSync(resolve(repo, copy.copyOf), 'utf8');
      expect(file.includes(copy.code), `${copy.doc} block ${copy.block} is not in ${copy.copyOf}`).toBe(true);
    },
  );
});
