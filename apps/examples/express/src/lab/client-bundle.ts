import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** `@tidings/client` built for browsers, held in memory. */
export interface ClientBundle {
  /** The ES module's source. */
  code: string;
  /** Its size minified, in bytes. */
  bytes: number;
  /** Its size minified and gzipped, in bytes: what a browser would download from a compressing server. */
  gzipBytes: number;
}

const HERE = fileURLToPath(new URL('.', import.meta.url));

/**
 * Bundles `@tidings/client` (from its sources, through the `source` export condition) into one
 * minified ES module in memory, so `pnpm start` serves it without a separate build step. An app
 * would do the same in its own bundler; the page imports it from `/lab/client.js`.
 */
export async function bundleClient(): Promise<ClientBundle> {
  const result = await build({
    stdin: { contents: "export * from '@tidings/client';", resolveDir: HERE, sourcefile: 'lab-client.js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0]!;
  return {
    code: output.text,
    bytes: output.contents.byteLength,
    gzipBytes: gzipSync(output.contents).byteLength,
  };
}
