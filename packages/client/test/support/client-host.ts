// Runs one @tidings/client in this process, driven by its parent over IPC: the parent's tests run
// the same client on another Node binary (Node 22) through this file. Started with
// `--conditions=source`, so the client and @tidings/core/protocol are read from their sources.
import { WebSocket as WsPackage } from 'ws';
import { type Client, type ClientOptions, createClient } from '../../src/index.ts';

/** What the parent sends. */
export type HostCommand =
  | { kind: 'create'; options: ClientOptions; wsPackage?: boolean; subscribe?: string[] }
  | { kind: 'close' };

/** What the host sends back: every client event, with errors as plain objects. */
export type HostReport =
  | { kind: 'ready'; node: string; hasGlobalWebSocket: boolean }
  | { kind: 'event'; name: string; arg: unknown; status: string; transport: string | undefined };

const NAMES = [
  'connecting',
  'open',
  'reconnecting',
  'fallback',
  'closed',
  'reset',
  'event',
  'error',
] as const;

const send = (report: HostReport) => process.send!(report);
// Errors lose `code` in the IPC copy: send their fields.
const plain = (value: unknown): unknown => {
  if (value instanceof Error) return { ...value, message: value.message, name: value.name };
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
};

let client: Client | undefined;
process.on('message', (command: HostCommand) => {
  if (command.kind === 'create') {
    client = createClient({
      ...command.options,
      ...(command.wsPackage ? { WebSocket: WsPackage as unknown as typeof WebSocket } : {}),
    });
    const c = client;
    for (const name of NAMES) {
      c.on(name, ((arg: unknown) =>
        send({ kind: 'event', name, arg: plain(arg), status: c.status, transport: c.transport })) as never);
    }
    for (const topic of command.subscribe ?? []) c.subscribe(topic, () => {});
  } else {
    client?.close();
    process.disconnect();
  }
});
send({
  kind: 'ready',
  node: process.version,
  hasGlobalWebSocket: typeof globalThis.WebSocket === 'function',
});
