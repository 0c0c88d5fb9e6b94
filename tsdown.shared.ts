import { defineConfig, type UserConfig } from 'tsdown';

/** The build every published package shares: ESM only, with `.d.ts`, `.js` names, no source maps. */
export function packageBuild(
  platform: 'node' | 'neutral',
  entry: Record<string, string> = { index: 'src/index.ts' },
  extra: UserConfig = {},
): UserConfig {
  return defineConfig({
    entry,
    format: 'esm',
    platform,
    dts: true,
    fixedExtension: false,
    sourcemap: false,
    ...extra,
  });
}
