import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PostgreSQL server started for the benchmark. */
export interface PostgresProcess {
  url: string;
  stop(): Promise<void>;
}

// Debian keeps the server binaries off the PATH, one directory per major version: the newest.
function binDir(): string | undefined {
  if (!existsSync('/usr/lib/postgresql')) return undefined;
  const newest = readdirSync('/usr/lib/postgresql')
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(a) - Number(b))
    .at(-1);
  return newest && existsSync(`/usr/lib/postgresql/${newest}/bin/postgres`)
    ? `/usr/lib/postgresql/${newest}/bin`
    : undefined;
}

/** Whether Debian's PostgreSQL server is installed. */
export function hasPostgres(): boolean {
  return binDir() !== undefined;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * Starts a throwaway PostgreSQL on 127.0.0.1 (trust auth, a temporary directory; as root it runs as
 * the postgres user, since PostgreSQL refuses root) with fsync on, the default, so a commit costs
 * what it costs in production; `stop()` ends it by its PID and removes the directory.
 */
export async function startPostgres(): Promise<PostgresProcess> {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-pg-'));
  const asRoot = process.getuid?.() === 0;
  const wrap = asRoot ? ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--'] : [];
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString());
    chownSync(dir, id('-u'), id('-g'));
  }
  const [initdb, ...initArgs] = [
    ...wrap,
    `${bin}/initdb`,
    '-D',
    join(dir, 'data'),
    '-A',
    'trust',
    '-U',
    'postgres',
  ];
  execFileSync(initdb!, [...initArgs, '--no-sync'], { stdio: 'ignore' });
  const port = await freePort();
  const [postgres, ...args] = [
    ...wrap,
    `${bin}/postgres`,
    ...['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
    ...['-c', 'max_connections=200'],
  ];
  const child: ChildProcess = spawn(postgres!, args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGINT');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 200; attempt++) {
    const ready = spawnReady(bin, port);
    if (ready) return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new Error('PostgreSQL did not accept connections within 10 s');
}

function spawnReady(bin: string, port: number): boolean {
  try {
    execFileSync(`${bin}/pg_isready`, ['-q', '-h', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
