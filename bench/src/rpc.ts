import { createInterface } from 'node:readline';

/** A request from the runner: an `op` plus its fields. */
export interface RpcRequest {
  id: number;
  op: string;
  [field: string]: unknown;
}

/** A line on stdout: a reply to request `id`, or (id 0) an unsolicited note such as `ready`. */
export interface RpcReply {
  id: number;
  result?: unknown;
  error?: string;
}

/** Writes one JSON line to stdout. */
export function reply(message: RpcReply): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/**
 * The child side of the runner's JSON-lines RPC over stdin/stdout. When stdin closes (the runner
 * went away, however it died) the process exits, so no server or load generator is ever orphaned.
 * `maxLifetimeMs` bounds the process's life whatever happens.
 */
export function serveRpc(
  handle: (request: RpcRequest) => Promise<unknown> | unknown,
  onExit: () => Promise<void> | void,
  maxLifetimeMs: number,
): void {
  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    try {
      await onExit();
    } finally {
      process.exit(code);
    }
  };
  setTimeout(() => void exit(3), maxLifetimeMs).unref();
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    const request = JSON.parse(line) as RpcRequest;
    if (request.op === 'exit') {
      reply({ id: request.id, result: 'bye' });
      void exit(0);
      return;
    }
    Promise.resolve()
      .then(() => handle(request))
      .then(
        (result) => reply({ id: request.id, result }),
        (error: Error) => reply({ id: request.id, error: error.stack ?? String(error) }),
      );
  });
  lines.on('close', () => void exit(0));
}
