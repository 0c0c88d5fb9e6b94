import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PostgreSQL server this test started, on a loopback port of its own, in a temporary data directory. */
export interface PgServer {
  readonly url: string;
  readonly port: number;
  /** PID of the postmaster (undefined while stopped). */
  readonly pid: number | undefined;
  /** SIGSTOP to the postmaster and each of its children (the backends): frozen, connections open. */
  freeze(): void;
  thaw(): void;
  /** An immediate shutdown (as a crash), then a start on the same port and data. */
  restart(): Promise<void>;
  /** Stops it for good and removes its data directory. */
  stop(): Promise<void>;
}

// Debian's server binaries (not on the PATH), newest version installed; PG_BIN overrides.
const BIN =
  process.env.PG_BIN ??
  `/usr/lib/postgresql/${readdirSync('/usr/lib/postgresql')
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(a) - Number(b))
    .at(-1)}/bin`;

/** Asks the OS for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// initdb and postgres refuse to run as root: both run as the postgres user. setpriv execs in place,
// so the PID spawned is the postmaster's, and `detached` gives it a process group of its own, which
// its backends share (for freeze and thaw).
function asPostgres(): string[] {
  if (process.getuid?.() !== 0) return [];
  return ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--'];
}

function launch(dir: string, port: number): Promise<ChildProcess> {
  const wrap = asPostgres();
  const args = [
    `${BIN}/postgres`,
    '-D',
    join(dir, 'data'),
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=200',
  ];
  const [command, ...rest] = [...wrap, ...args];
  const child = spawn(command!, rest, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`postgres did not start: ${output}`)), 20_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      try {
        if (child.pid) process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone: it exited, which is what failed.
      }
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready to accept connections')) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        child.stderr!.resume();
        child.stdout!.resume();
        child.off('exit', onExit);
        resolve(child);
      }
    };
    const onExit = (code: number | null) => fail(new Error(`postgres exited (${code}): ${output}`));
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', fail);
  });
}

// Each backend makes itself a process-group leader, so the postmaster's group does not hold them:
// the postmaster and its children, found by their parent PID.
function family(postmaster: number): number[] {
  const pids = [postmaster];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === postmaster) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

function signal_(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // A backend that ended meanwhile.
    }
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a PostgreSQL server (initdb, trust auth on loopback only) on a free port. */
export async function startPgServer(): Promise<PgServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  const [command, ...rest] = [
    ...asPostgres(),
    `${BIN}/initdb`,
    '-D',
    join(dir, 'data'),
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ];
  execFileSync(command!, rest, { stdio: 'pipe' });
  // The postmaster is given a port probed free; another process may take it before the postmaster
  // binds it (seen on a busy CI machine), and then a new port is probed.
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    child = await launch(dir, port).catch((error: unknown) => {
      if (attempt === 5) throw error;
      return undefined;
    });
  }
  const halt = async (signal: NodeJS.Signals) => {
    if (!child) return;
    const current = child;
    child = undefined;
    signal_(family(current.pid!), 'SIGCONT');
    process.kill(current.pid!, signal);
    await exited(current);
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    get pid() {
      return child?.pid;
    },
    freeze() {
      if (child) signal_(family(child.pid!), 'SIGSTOP');
    },
    thaw() {
      if (child) signal_(family(child.pid!), 'SIGCONT');
    },
    async restart() {
      // SIGQUIT: immediate shutdown, no checkpoint, as after a crash; the data stays.
      await halt('SIGQUIT');
      child = await launch(dir, port);
    },
    async stop() {
      await halt('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
