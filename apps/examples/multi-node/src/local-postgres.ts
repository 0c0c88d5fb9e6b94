import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PostgreSQL server started for the demo. */
export interface LocalPostgres {
  url: string;
  stop(): Promise<void>;
}

// Debian and Ubuntu keep the server binaries off the PATH; elsewhere (Homebrew) they are on it.
function binary(name: string): string {
  try {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v));
    const newest = versions.sort((a, b) => Number(a) - Number(b)).at(-1);
    if (newest) return `/usr/lib/postgresql/${newest}/bin/${name}`;
  } catch {
    // Not Debian: use the PATH.
  }
  return name;
}

/**
 * Starts a throwaway PostgreSQL (it must be installed: `apt-get install postgresql`, `brew install
 * postgresql`) on 127.0.0.1:`port`, trust auth, in a temporary directory removed on `stop()`. As
 * root it runs as the `postgres` user, since PostgreSQL refuses to run as root.
 */
export async function startLocalPostgres(port: number): Promise<LocalPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-example-pg-'));
  const asRoot = process.getuid?.() === 0;
  const wrap = asRoot ? ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--'] : [];
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString());
    chownSync(dir, id('-u'), id('-g'));
  }
  const run = (args: string[]) => [...wrap, ...args];
  const [initdb, ...initArgs] = run([
    binary('initdb'),
    '-D',
    join(dir, 'data'),
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
  ]);
  execFileSync(initdb!, initArgs, { stdio: 'pipe' });
  const [postgres, ...args] = run([
    binary('postgres'),
    ...['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
  ]);
  const child: ChildProcess = spawn(postgres!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGINT');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => void stop().then(() => reject(new Error(`postgres: ${output}`))), 15_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run postgres (is it installed?): ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`postgres exited (${code}): ${output}`));
    });
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('ready to accept connections')) return;
      clearTimeout(timer);
      child.stderr!.removeAllListeners('data').resume();
      child.stdout!.removeAllListeners('data').resume();
      resolve({ url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop });
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
  });
}
