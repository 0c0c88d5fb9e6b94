import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A redis-server this test started, on a loopback port of its own. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** PID of the running process (undefined while stopped). */
  readonly pid: number | undefined;
  /** SIGKILL, as a crash would; resolves when the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops it for good and removes its data directory. */
  stop(): Promise<void>;
}

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

function launch(port: number, dir: string, appendOnly: boolean): Promise<ChildProcess> {
  const args = [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--save',
    '',
    '--dir',
    dir,
    '--daemonize',
    'no',
  ];
  args.push(...(appendOnly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not start: ${output}`)), 5000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve(child);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => fail(new Error(`redis-server exited (${code}): ${output}`)));
    child.once('error', fail);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts `redis-server` on a free loopback port. Persistence is off unless `appendOnly` is set
 * (then every write is fsynced before Redis answers, so a crash loses nothing that was accepted).
 */
export async function startRedisServer(options: { appendOnly?: boolean } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-redis-'));
  const appendOnly = options.appendOnly ?? false;
  // redis-server cannot take port 0, so a port is probed first; another process may take it before
  // redis-server binds it (seen on a busy CI machine), and then a new port is probed.
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    child = await launch(port, dir, appendOnly).catch((error: unknown) => {
      if (attempt === 5) throw error;
      return undefined;
    });
  }
  const kill = async () => {
    if (!child) return;
    const current = child;
    child = undefined;
    process.kill(current.pid!, 'SIGKILL');
    await exited(current);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid;
    },
    kill,
    async restart() {
      await kill();
      child = await launch(port, dir, appendOnly);
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
