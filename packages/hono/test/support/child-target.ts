import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { ConformanceConfig, ConformanceServer, OperatorAnswer } from '@tidings/conformance';
import { type HubStats, signJwt } from '@tidings/core';

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5000;

/** How to run a server script in another runtime. */
export interface ChildCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** Kills a child by its PID and waits (bounded) for it to exit; SIGKILL if SIGTERM was not enough. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  process.kill(child.pid!, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
  }, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts a server script in a child process. The script prints `listening <port>` once it serves
 * on 127.0.0.1, answers the stdin line `shutdown` (hub.close) with `shutdown-done`, `stats` with
 * `stats <json>` and `operator <command>` with `operator <answer>` (see stdin-control.ts). Publishing
 * goes through `POST {url}/publish` with an admin token, as a server in another process would.
 */
export async function startChild(run: ChildCommand, config: ConformanceConfig): Promise<ConformanceServer> {
  const child = spawn(run.command, run.args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...run.env },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout! });
  const waiters = new Set<(line: string) => void>();
  lines.on('line', (line) => {
    for (const waiter of [...waiters]) waiter(line);
  });
  const waitFor = (pattern: RegExp, what: string) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const done = (error?: Error, match?: RegExpMatchArray) => {
        clearTimeout(timer);
        waiters.delete(test);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve(match!);
      };
      const test = (line: string) => {
        const match = line.match(pattern);
        if (match) done(undefined, match);
      };
      const onExit = () => done(new Error(`${run.command} exited before ${what}: ${stderr}`));
      const timer = setTimeout(
        () => done(new Error(`timed out waiting for ${what}: ${stderr}`)),
        START_TIMEOUT_MS,
      );
      waiters.add(test);
      child.once('exit', onExit);
    });
  let port: number;
  try {
    port = Number((await waitFor(/^listening (\d+)$/, 'the server to listen'))[1]);
  } catch (error) {
    await stop(child);
    throw error;
  }
  const url = `http://127.0.0.1:${port}/realtime`;
  let closed: Promise<void> | undefined;
  // One question at a time: answers come back in order on stdout, and each waiter takes the next.
  let questions: Promise<unknown> = Promise.resolve();
  const ask = (line: string, answer: RegExp, what: string): Promise<RegExpMatchArray> => {
    const asked = questions.then(() => {
      const answered = waitFor(answer, what);
      child.stdin!.write(`${line}\n`);
      return answered;
    });
    questions = asked.catch(() => {});
    return asked;
  };
  return {
    url,
    async publish(topic, data, event) {
      const token = await signJwt(
        { sub: 'server', role: 'admin', exp: Math.floor(Date.now() / 1000) + 600 },
        config.jwtSecret,
      );
      const response = await fetch(`${url}/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(event === undefined ? { topic, data } : { topic, event, data }),
      });
      if (response.status !== 202)
        throw new Error(`publish answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { id: string }).id;
    },
    async stats() {
      return JSON.parse((await ask('stats', /^stats (.*)$/, 'the hub’s stats'))[1]!) as HubStats;
    },
    async operator(command) {
      const [, failed, text] = await ask(
        `operator ${JSON.stringify(command)}`,
        /^operator(-error)? (.*)$/,
        `the answer to ${command.op}`,
      );
      if (failed) throw new Error(`${command.op} failed in the child: ${text}`);
      return JSON.parse(text!) as OperatorAnswer;
    },
    async shutdown() {
      const done = waitFor(/^shutdown-done$/, 'the hub to close');
      child.stdin!.write('shutdown\n');
      await done;
    },
    close() {
      closed ??= stop(child);
      return closed;
    },
  };
}
