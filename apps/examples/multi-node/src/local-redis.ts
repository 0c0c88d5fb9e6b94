import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A redis-server started for the demo. */
export interface LocalRedis {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` (it must be installed: `apt-get install redis-server`, `brew install redis`)
 * on 127.0.0.1:`port` with persistence off, in a temporary directory removed on `stop()`.
 */
export function startLocalRedis(port: number): Promise<LocalRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-example-redis-'));
  const child = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => void stop().then(() => reject(new Error(`redis-server: ${output}`))),
      5000,
    );
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run redis-server (is it installed?): ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${output}`));
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('Ready to accept connections')) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data').resume();
      resolve({ url: `redis://127.0.0.1:${port}`, stop });
    });
  });
}
