// Packs a package the way `pnpm publish` would (publishConfig applied) and checks the tarball with
// publint and @arethetypeswrong/cli, so what is checked is exactly what users install.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'tidings-pack-'));
try {
  execFileSync('pnpm', ['pack', '--pack-destination', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = join(
    dir,
    readdirSync(dir).find((f) => f.endsWith('.tgz')),
  );
  execFileSync('publint', ['run', tarball, '--strict'], { stdio: 'inherit' });
  execFileSync('attw', [tarball, '--profile', 'esm-only', '--format', 'table-flipped'], { stdio: 'inherit' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
