import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../fixtures/hub-node.ts', import.meta.url));

/** A tidings node running in a Node process of its own. */
export interface HubProcess {
  /** Base URL of its routes, e.g. `http://127.0.0.1:40123/realtime`. */
  readonly url: string;
  readonly pid: number;
  /** What it wrote to stderr (broker errors), for failure messages. */
  stderr(): string;
  /** SIGKILL, as a crash would; resolves when it is gone. */
  kill(): Promise<void>;
  /** SIGTERM (a clean close); resolves when it is gone. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts `node --conditions=source fixtures/hub-node.ts` (or another fixture, with extra
 * environment) against `redisUrl` and `prefix`.
 */
export function startHubProcess(
  redisUrl: string,
  prefix: string,
  options: { fixture?: string; env?: Record<string, string> } = {},
): Promise<HubProcess> {
  const fixture = options.fixture
    ? fileURLToPath(new URL(`../fixtures/${options.fixture}`, import.meta.url))
    : FIXTURE;
  const child = spawn(process.execPath, ['--conditions=source', fixture], {
    env: { ...process.env, ...options.env, REDIS_URL: redisUrl, TIDINGS_PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, name);
    await exited(child);
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`hub process did not start: ${stderr}`)), 10_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onExit = (code: number | null) => fail(new Error(`hub process exited (${code}): ${stderr}`));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (!stdout.includes('\n') || !line) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      const { url } = JSON.parse(line) as { url: string };
      resolve({
        url,
        pid: child.pid!,
        stderr: () => stderr,
        kill: () => signal('SIGKILL'),
        stop: () => signal('SIGTERM'),
      });
    });
    child.once('exit', onExit);
  });
}
