import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('the whole client stays under 6 KB min+gzip (scripts/size.mjs)', async () => {
  const script = fileURLToPath(new URL('../scripts/size.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [script]);
  const gzipBytes = Number(/(\d+) bytes min\+gzip/.exec(stdout)?.[1]);
  expect(gzipBytes).toBeGreaterThan(1000);
  expect(gzipBytes).toBeLessThanOrEqual(6 * 1024);
});
