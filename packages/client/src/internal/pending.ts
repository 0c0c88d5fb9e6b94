import { ClientError } from '../client-error.ts';

/**
 * Publishes sent and waiting for their answer, by key: over a WebSocket (the key is the `ref` the
 * server answers with) or through the leader tab. Returned as a tuple, so the minifier names its
 * parts: `wait` waits for one (sent just before: no answer comes in the same turn) and resolves
 * with its id, `settle` ends one (falsy if its key is not waiting), `drop` fails all with
 * `disconnected` (the answer can no longer come; the outbox sends them again, same key).
 */
export function createPending(): [
  wait: (key: string) => Promise<string>,
  settle: (key: string, id: string | undefined, error?: ClientError) => unknown,
  drop: () => void,
] {
  // Each key's callback settles its promise: rejects with `error`, else resolves with `id`.
  const waits = new Map<string, (id?: string, error?: ClientError) => void>();
  const settle = (key: string, id?: string, error?: ClientError) => {
    const done = waits.get(key);
    waits.delete(key);
    done?.(id, error);
    return done;
  };
  return [
    (key) =>
      new Promise((resolve, reject) => {
        waits.set(key, (id, error) => (error ? reject(error) : resolve(id!)));
      }),
    settle,
    () => {
      for (const [key] of waits) settle(key, undefined, new ClientError('disconnected', 'lost'));
    },
  ];
}
