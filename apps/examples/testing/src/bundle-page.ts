import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles src/page.ts, with `@tidings/client`, into one ES module in memory, so the server needs no
 * build step. In the workspace the client comes from its sources (the `source` export condition);
 * installed from npm, from its published build.
 */
export async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}
