import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: { index: 'src/index.ts', cloudflare: 'src/cloudflare/index.ts', node: 'src/node.ts' },
  format: 'esm',
  platform: 'node',
  dts: true,
  fixedExtension: false,
  sourcemap: false,
  // Provided by workerd itself.
  deps: { neverBundle: ['cloudflare:workers'] },
});
