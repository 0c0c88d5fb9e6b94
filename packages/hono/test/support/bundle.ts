import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

/** A temporary directory for bundles, removed by `remove()`. */
export interface BundleDir {
  path: string;
  remove(): void;
}

/** Creates a temporary directory for this test file's bundles. */
export function createBundleDir(): BundleDir {
  const path = mkdtempSync(join(tmpdir(), 'tidings-hono-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Bundles a TypeScript entry into one ESM file for a runtime that cannot read this workspace's
 * sources itself. Workspace packages resolve through their `source` condition, as in vitest.
 */
export async function bundle(
  entry: string,
  outfile: string,
  options: { conditions: string[]; external?: string[] },
): Promise<string> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2023',
    mainFields: ['module', 'main'],
    conditions: ['source', ...options.conditions],
    // Bun, Deno and workerd (nodejs_compat aside) all load `node:` builtins themselves.
    external: ['node:*', ...(options.external ?? [])],
    logLevel: 'error',
  });
  return outfile;
}
