import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../fixtures/drain-server.ts', import.meta.url));

/** A hub server in a child process (`fixtures/drain-server.ts`). */
export interface DrainProcess {
  child: ChildProcess;
  url: string;
  /**
   * Sends SIGTERM; resolves with the ms from the signal to the process's exit as this side saw it
   * (`exitMs`), the same as the process itself measured it (`ownExitMs`), and its exit code.
   */
  terminate(): Promise<{
    exitMs: number;
    ownExitMs: number;
    code: number | null;
    signal: NodeJS.Signals | null;
  }>;
  /** Kills it (SIGKILL) by PID if it is still running. */
  kill(): void;
}

/** Starts the fixture with extra hub options; resolves once it listens. */
export function startDrainProcess(hubOptions: Record<string, unknown>): Promise<DrainProcess> {
  const child = spawn(process.execPath, ['--conditions=source', FIXTURE, JSON.stringify(hubOptions)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // 'close', not 'exit': it comes once stdout has been read to its end, the exit report included.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the drain server did not start: ${output}`));
    }, 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the drain server exited (${code}) before listening: ${output}`));
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.includes('"url"'));
      if (!line) return;
      clearTimeout(timer);
      resolve({
        child,
        url: (JSON.parse(line) as { url: string }).url,
        async terminate() {
          const sent = performance.now();
          child.kill('SIGTERM');
          const { code, signal } = await exited;
          const exitMs = performance.now() - sent;
          const own = /"exitAfterMs":(\d+)/.exec(output);
          if (!own) throw new Error(`the drain server did not report its exit: ${output}`);
          return { exitMs, ownExitMs: Number(own[1]), code, signal };
        },
        kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        },
      });
    });
  });
}
