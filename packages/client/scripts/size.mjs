// Measures the client as an app would ship it: bundled with its one dependency
// (@tidings/core/protocol, tree-shaken), minified, gzipped, split where the source asks for it with
// a dynamic import(). What loads with `createClient` (the entry chunk and every chunk it imports
// statically) is measured against the budget; a chunk reached only through import() (the IndexedDB
// outbox of `persist: true`) is reported apart. Exits 1 over the budget. With --by-file, also
// what each source file puts into the eager chunks, minified (gzip works on the whole, so a file's
// share of the gzipped size is estimated in proportion).
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const BUDGET_BYTES = 6 * 1024;

const result = await build({
  entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
  bundle: true,
  minify: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  conditions: ['source'],
  outdir: 'out',
  metafile: true,
  write: false,
  logLevel: 'error',
});

const outputs = result.metafile.outputs;
const files = new Map(
  result.outputFiles.map((file) => [file.path.slice(file.path.lastIndexOf('/out/') + 1), file]),
);
const entry = Object.keys(outputs).find((path) => outputs[path].entryPoint);
// The entry and what it imports statically, transitively: what every client loads.
const eager = new Set([entry]);
for (const path of eager) {
  for (const { path: imported, kind } of outputs[path].imports)
    if (kind === 'import-statement') eager.add(imported);
}
const sizeOf = (path) => {
  const code = files.get(path).contents;
  return { bytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength };
};
let bytes = 0;
let gzipBytes = 0;
for (const path of eager) {
  const size = sizeOf(path);
  bytes += size.bytes;
  gzipBytes += size.gzipBytes;
}
console.log(`@tidings/client: ${bytes} bytes minified, ${gzipBytes} bytes min+gzip (budget ${BUDGET_BYTES})`);
for (const path of Object.keys(outputs)) {
  if (eager.has(path) || !path.endsWith('.js')) continue;
  const size = sizeOf(path);
  const sources = Object.keys(outputs[path].inputs).join(', ');
  console.log(
    `  loaded when used: ${sources}: ${size.bytes} bytes minified, ${size.gzipBytes} bytes min+gzip`,
  );
}
if (process.argv.includes('--by-file')) {
  const byFile = new Map();
  for (const path of eager) {
    for (const [input, { bytesInOutput }] of Object.entries(outputs[path].inputs)) {
      const name = input.replace(/^.*?\/packages\//, '');
      byFile.set(name, (byFile.get(name) ?? 0) + bytesInOutput);
    }
  }
  const ratio = gzipBytes / bytes;
  for (const [name, size] of [...byFile].sort((a, b) => b[1] - a[1])) {
    console.log(
      `  ${String(size).padStart(6)} B minified, ~${String(Math.round(size * ratio)).padStart(5)} B gzip  ${name}`,
    );
  }
}
if (gzipBytes > BUDGET_BYTES) {
  console.error(`over budget by ${gzipBytes - BUDGET_BYTES} bytes`);
  process.exit(1);
}
