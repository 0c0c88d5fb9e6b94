// Measures the whole client as an app would ship it: bundled with its one dependency
// (@tidings/core/protocol, tree-shaken), minified, gzipped. Exits 1 over the budget.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const BUDGET_BYTES = 6 * 1024;

const result = await build({
  entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  conditions: ['source'],
  write: false,
  logLevel: 'error',
});
const code = result.outputFiles[0].contents;
const gzipBytes = gzipSync(code, { level: 9 }).byteLength;
console.log(
  `@tidings/client: ${code.byteLength} bytes minified, ${gzipBytes} bytes min+gzip (budget ${BUDGET_BYTES})`,
);
if (gzipBytes > BUDGET_BYTES) {
  console.error(`over budget by ${gzipBytes - BUDGET_BYTES} bytes`);
  process.exit(1);
}
