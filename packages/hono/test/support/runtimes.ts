import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConformanceTarget } from '@tidings/conformance';
import { afterAll } from 'vitest';
import { bundle, createBundleDir } from './bundle.ts';
import { type ChildCommand, startChild } from './child-target.ts';

const require = createRequire(import.meta.url);
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The runtime binaries the `bun` and `deno` npm packages ship (not their Node wrappers, so a kill reaches the runtime). */
export const BUN_BINARY: string = join(dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe');
export const DENO_BINARY: string = join(dirname(require.resolve('deno/package.json')), 'deno');

/**
 * A conformance target that bundles `fixtures/<script>` once and runs it in another runtime per
 * server. The bundle directory is removed after the test file.
 */
export function childRuntimeTarget(
  target: Omit<ConformanceTarget, 'start'>,
  script: string,
  conditions: string[],
  command: (bundled: string, configJson: string) => ChildCommand,
): ConformanceTarget {
  const dir = createBundleDir();
  afterAll(() => dir.remove());
  let bundled: Promise<string> | undefined;
  return {
    ...target,
    async start(config) {
      bundled ??= bundle(join(FIXTURES, script), join(dir.path, script.replace(/\.ts$/, '.js')), {
        conditions,
      });
      return startChild(command(await bundled, JSON.stringify(config)), config);
    },
  };
}
