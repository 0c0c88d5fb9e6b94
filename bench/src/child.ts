import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RpcReply } from './rpc.ts';

/** Options of `startChild`. */
export interface ChildOptions {
  /** Pin to this CPU with taskset (ignored when taskset is missing). */
  cpu?: number;
  /** Extra node flags (e.g. `--expose-gc`, `--cpu-prof`). */
  nodeFlags?: string[];
  /** Environment added to the runner's. Default none. */
  env?: Record<string, string>;
  /** How long to wait for the child's ready line, ms. Default 20000. */
  readyTimeoutMs?: number;
}

let tasksetChecked: boolean | undefined;

/** Whether `taskset` can pin processes on this machine. */
export function hasTaskset(): boolean {
  tasksetChecked ??=
    (existsSync('/usr/bin/taskset') || existsSync('/bin/taskset')) &&
    spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
  return tasksetChecked;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

// Whatever ends the runner (an exception, Ctrl-C), the processes it started go with it, each by
// its own PID.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of live) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/** A server script or load generator, driven over its stdin/stdout. */
export class Child {
  readonly process: ChildProcess;
  readonly name: string;
  readonly ready: Promise<Record<string, unknown>>;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  readonly #stderr: string[] = [];
  #nextId = 1;
  #exited = false;
  readonly #exit: Promise<void>;

  constructor(name: string, script: string, args: string[], options: ChildOptions = {}) {
    installExitHook();
    this.name = name;
    const nodeArgs = ['--conditions=source', ...(options.nodeFlags ?? []), script, ...args];
    const pin = options.cpu !== undefined && hasTaskset();
    const spawnOptions = { stdio: 'pipe' as const, env: { ...process.env, ...options.env } };
    this.process = pin
      ? spawn('taskset', ['-c', String(options.cpu), process.execPath, ...nodeArgs], spawnOptions)
      : spawn(process.execPath, nodeArgs, spawnOptions);
    live.add(this.process);
    // A child that died mid-write must not take the runner down with EPIPE.
    this.process.stdin!.on('error', () => {});
    this.#exit = new Promise((resolve) => {
      this.process.once('exit', () => {
        this.#exited = true;
        live.delete(this.process);
        const error = new Error(`${name} exited: ${this.stderrTail()}`);
        for (const waiter of this.#pending.values()) waiter.reject(error);
        this.#pending.clear();
        resolve();
      });
    });
    createInterface({ input: this.process.stderr! }).on('line', (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > 40) this.#stderr.shift();
    });
    let signalReady: (value: Record<string, unknown>) => void = () => {};
    let failReady: (error: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      signalReady = resolve;
      failReady = reject;
    });
    const readyTimer = setTimeout(
      () => failReady(new Error(`${name} not ready in time: ${this.stderrTail()}`)),
      options.readyTimeoutMs ?? 20_000,
    );
    this.#exit.then(() => {
      clearTimeout(readyTimer);
      failReady(new Error(`${name} exited before ready: ${this.stderrTail()}`));
    });
    createInterface({ input: this.process.stdout! }).on('line', (line) => {
      let message: RpcReply;
      try {
        message = JSON.parse(line) as RpcReply;
      } catch {
        return;
      }
      if (message.id === 0) {
        clearTimeout(readyTimer);
        signalReady(message.result as Record<string, unknown>);
        return;
      }
      const waiter = this.#pending.get(message.id);
      if (!waiter) return;
      this.#pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(`${name}: ${message.error}`));
      else waiter.resolve(message.result);
    });
  }

  /** The last lines the child wrote to stderr. */
  stderrTail(): string {
    return this.#stderr.slice(-10).join('\n');
  }

  /** Sends one command and waits for its answer, at most `timeoutMs`. */
  request<T>(op: string, fields: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`${this.name} has exited: ${this.stderrTail()}`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: no answer to ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.process.stdin!.write(`${JSON.stringify({ id, op, ...fields })}\n`);
    });
  }

  /** Kills the child by PID at once. */
  async kill(): Promise<void> {
    if (this.#exited) return;
    this.process.kill('SIGKILL');
    await this.#exit;
  }
}
