// What a test can do to a client, as plain data both ways: the same code runs the client in the
// vitest process (Node 24) and, through `client-host.ts`, in a child process on another Node binary
// (Node 22). Whatever the client hands back (event arguments, errors, envelopes) becomes plain data
// here, in the client's runtime, so that both runtimes are seen alike.
import { WebSocket as WsPackage } from 'ws';
import { type Client, ClientError, type ClientOptions, createClient } from '../../src/index.ts';

/** A client error as data: its own fields, whether it was a `ClientError`, and which object it was. */
export interface PlainError {
  name: string;
  message: string;
  code?: string;
  status?: number;
  topic?: string;
  /** `error instanceof ClientError`, asked where the client runs. */
  isClientError: boolean;
  /** The same number for the same error object (within one client's runtime): `toBe` across a process boundary. */
  ref: number;
}

/** How a call ended: it returned or threw at once, or the promise it returned resolved or rejected. */
export type Outcome =
  | { how: 'returned' | 'resolved'; value?: unknown }
  | { how: 'threw' | 'rejected'; error: PlainError };

/** One subscription of a `subscribe` call: which of its callbacks the test hears (each is passed only if asked for). */
export interface SubscriptionSpec {
  topic: string;
  /** The test's own number for it, to hear its callbacks and to drop it. */
  sub: number;
  data?: boolean;
  onError?: boolean;
  onReset?: boolean;
}

export type Call =
  | { method: 'ready' }
  | { method: 'publish'; topic: string; data: unknown }
  | { method: 'close' }
  /** Every subscription in one turn (one change reaches the connection). Returns nothing. */
  | { method: 'subscribe'; subscriptions: SubscriptionSpec[] }
  /** Calls the unsubscribe function of a subscription. */
  | { method: 'unsubscribe'; sub: number }
  /** Returns `{ status, transport, cursor }` as they are now. */
  | { method: 'state' };

/** What the test sends. */
export type HostCommand =
  | {
      kind: 'create';
      options: ClientOptions;
      /** Pass the `ws` package as `WebSocket`. */
      wsPackage?: boolean;
      /** The client's `random` returns this. */
      random?: number;
      /** Topics to subscribe to at once (no callbacks). */
      subscribe?: string[];
      /** Call `ready()` in the same turn as `createClient`; its outcome comes as the result of this id. */
      readyAtStart?: number;
    }
  | ({ kind: 'call'; id: number } & Call)
  /** Closes the client and ends the host. */
  | { kind: 'end' };

interface Stamp {
  /** `Date.now()` where the client runs. */
  at: number;
  status: string;
  transport: string | undefined;
}

/** What comes back: every client event, every callback of a subscription that asked for it, every call's outcome. */
export type HostReport =
  | { kind: 'ready'; node: string; hasGlobalWebSocket: boolean }
  /** The client exists: `at` is when `createClient` was called. */
  | { kind: 'created'; at: number }
  | ({ kind: 'event'; name: string; arg: unknown } & Stamp)
  | ({ kind: 'sub'; sub: number; name: 'data' | 'error' | 'reset'; arg: unknown } & Stamp)
  | ({ kind: 'result'; id: number; outcome: Outcome } & Stamp);

export const EVENTS = [
  'connecting',
  'open',
  'reconnecting',
  'fallback',
  'closed',
  'reset',
  'event',
  'error',
] as const;

const refs = new WeakMap<object, number>();
let lastRef = 0;

/** `value` as plain data: errors as PlainError (IPC would drop their fields), arrays kept. */
export function toPlain(value: unknown): unknown {
  if (value instanceof Error) {
    let ref = refs.get(value);
    if (ref === undefined) {
      ref = ++lastRef;
      refs.set(value, ref);
    }
    return {
      ...(toPlain({ ...value }) as object),
      name: value.name,
      message: value.message,
      isClientError: value instanceof ClientError,
      ref,
    } satisfies Partial<PlainError>;
  }
  if (Array.isArray(value)) return value.map(toPlain);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
  }
  return value;
}

/** Runs the commands of one client, sending each report to `send`; returns the command handler. */
export function createDriver(send: (report: HostReport) => void): (command: HostCommand) => void {
  let client: Client | undefined;
  const unsubscribes = new Map<number, () => void>();
  const stamp = (): Stamp => ({
    at: Date.now(),
    status: client?.status ?? 'idle',
    transport: client?.transport,
  });
  const result = (id: number, outcome: Outcome) => send({ kind: 'result', id, outcome, ...stamp() });
  const settle = (id: number, run: () => Promise<unknown>) => {
    let promise: Promise<unknown>;
    try {
      promise = run();
    } catch (error) {
      result(id, { how: 'threw', error: toPlain(error) as PlainError });
      return;
    }
    promise.then(
      (value) => result(id, { how: 'resolved', value: toPlain(value) }),
      (error: unknown) => result(id, { how: 'rejected', error: toPlain(error) as PlainError }),
    );
  };
  const returns = (id: number, run: () => unknown) => {
    let value: unknown;
    try {
      value = run();
    } catch (error) {
      result(id, { how: 'threw', error: toPlain(error) as PlainError });
      return;
    }
    result(id, { how: 'returned', value: toPlain(value) });
  };

  function subscribe(c: Client, spec: SubscriptionSpec) {
    const forward = (name: 'data' | 'error' | 'reset') => (arg: unknown) =>
      send({ kind: 'sub', sub: spec.sub, name, arg: toPlain(arg), ...stamp() });
    const onData = forward('data');
    const off = c.subscribe(
      spec.topic,
      spec.data ? (data, envelope) => onData({ data, envelope }) : () => {},
      {
        ...(spec.onError ? { onError: forward('error') } : {}),
        ...(spec.onReset ? { onReset: forward('reset') } : {}),
      },
    );
    unsubscribes.set(spec.sub, off);
  }

  function call(id: number, command: Call) {
    const c = client;
    if (!c) throw new Error('no client yet');
    switch (command.method) {
      case 'ready':
        return settle(id, () => c.ready());
      case 'publish':
        return settle(id, () => c.publish(command.topic, command.data));
      case 'close':
        return returns(id, () => c.close());
      case 'subscribe':
        return returns(id, () => {
          for (const spec of command.subscriptions) subscribe(c, spec);
        });
      case 'unsubscribe':
        return returns(id, () => {
          const off = unsubscribes.get(command.sub);
          if (!off) throw new Error(`no subscription ${command.sub}`);
          off();
        });
      case 'state':
        return returns(id, () => ({ status: c.status, transport: c.transport, cursor: c.cursor }));
    }
  }

  return (command) => {
    if (command.kind === 'create') {
      const { random } = command;
      const at = Date.now();
      const c = createClient({
        ...command.options,
        ...(command.wsPackage ? { WebSocket: WsPackage as unknown as typeof WebSocket } : {}),
        ...(random === undefined ? {} : { random: () => random }),
      });
      client = c;
      send({ kind: 'created', at });
      if (command.readyAtStart !== undefined) settle(command.readyAtStart, () => c.ready());
      for (const name of EVENTS) {
        c.on(name, ((arg: unknown) => send({ kind: 'event', name, arg: toPlain(arg), ...stamp() })) as never);
      }
      for (const topic of command.subscribe ?? []) c.subscribe(topic, () => {});
    } else if (command.kind === 'call') call(command.id, command);
    else client?.close();
  };
}
