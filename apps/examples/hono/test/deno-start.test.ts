import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const EXAMPLE = fileURLToPath(new URL('..', import.meta.url));
let started: ChildProcess | undefined;
const pids: number[] = [];

afterEach(() => {
  // Whatever is still there (the test failed): killed by the PIDs this test recorded.
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  started = undefined;
});

/** The PIDs of `pid`'s children, from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // Field 4 of stat is the parent's PID; the command name (field 2) may hold spaces, so split after it.
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);

describe('pnpm start:deno', () => {
  // Linux: the process tree is read from /proc.
  it('runs the Deno binary itself: a SIGTERM to it drains gracefully and leaves no process behind', async () => {
    // Port 0: Deno binds a port of its own and prints it. (A port probed free beforehand can be
    // taken by another process before Deno binds it: on a busy CI machine it was, and Deno exited
    // with AddrInUse.)
    started = spawn('pnpm', ['start:deno'], {
      cwd: EXAMPLE,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pnpm = started.pid!;
    pids.push(pnpm);
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Deno did not start within 60 s')), 60_000);
      let output = '';
      started!.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const listening = /tidings Hono example on Deno: http:\/\/localhost:(\d+)/.exec(output);
        if (listening) {
          clearTimeout(timer);
          resolve(Number(listening[1]));
        }
      });
      started!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`pnpm start:deno exited (${code}) before listening: ${output}`));
      });
    });
    // The process pnpm started is the runtime, not a Node wrapper that would not pass signals on.
    const [server] = childrenOf(pnpm).filter((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('src/deno.ts'),
    );
    expect(server).toBeDefined();
    pids.push(server!);
    expect(readlinkSync(`/proc/${server}/exe`)).toMatch(/\/deno$/);
    expect(childrenOf(server!)).toEqual([]);

    const { token } = (await (await fetch(`http://127.0.0.1:${port}/api/token`)).json()) as { token: string };
    const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime/ws?topics=notes`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const messages: { type: string }[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => ws.once('message', resolve));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

    // What a supervisor does: signal the process it started.
    process.kill(server!, 'SIGTERM');
    expect(await closed).toBe(1001);
    expect(messages.at(-1)).toMatchObject({ type: 'close', code: 'unavailable' });
    await new Promise<void>((resolve) => started!.once('exit', () => resolve()));
    for (let i = 0; i < 100 && alive(server!); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(server!)).toBe(false);
    expect(alive(pnpm)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/realtime/ready`)).rejects.toThrow();
  }, 90_000);
});
