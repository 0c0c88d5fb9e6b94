import type { Client, PublishInfo } from '../client.ts';
import type { ClientError } from '../client-error.ts';
import type { Resolved } from '../options.ts';
import type { PublishMessage } from './link.ts';

interface Row {
  key: string;
  message: PublishMessage;
  /** The client that stores it (see persistOutbox). */
  owner: string;
  /** [ms since the epoch, count]: the order of the writes, across reloads. */
  seq: [number, number];
}

const STORE = 'outbox';

const result = <T>(request: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

const committed = (transaction: IDBTransaction): Promise<void> =>
  new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = transaction.onabort = () => reject(transaction.error);
  });

/**
 * `persist: true`: keeps a client's outbox in IndexedDB, one database per URL shared by every client
 * of it in this browser (tabs, reloads). Loaded with a dynamic `import()`, only when asked for.
 *
 * Each row belongs to the client that wrote it, which holds a Web Lock (`<database>:<owner>`) for
 * as long as it lives; the browser lets go of it when the tab is closed, reloaded or crashes. A
 * client that starts takes over the rows of every owner whose lock is free, holding that lock while
 * it does, so two clients starting together cannot both take them; then it sends them, oldest
 * first, before anything published meanwhile (the chain it resolves to is what they wait for).
 * They count towards `maxOutbox` like the client's own: those that find the outbox full (with
 * what was published before this loaded and the rows taken over before them) are refused with
 * `outbox_full` (a `publish` event, `refused`) and deleted, so the bound holds across tabs too.
 *
 * From then on it follows the client's `publish` events: `queued` writes the row, `acknowledged`
 * and `refused` delete it, except a refusal by `close()`, which leaves it for the next client. What
 * was published before this loaded (`outbox`, in order) is written at once. Rejects where IndexedDB
 * or Web Locks are missing or refused (a private window may refuse IndexedDB); the outbox then stays
 * in memory.
 *
 * `emit` tells the client's listeners; `Refusal` is the ClientError class, handed over rather than
 * imported: an import would move it into a chunk of its own that every client would load.
 */
export async function persistOutbox(
  o: Pick<Resolved, 'url' | 'maxOutbox'>,
  client: Pick<Client, 'on' | 'status'>,
  outbox: Set<PublishMessage>,
  send: (message: PublishMessage, before: Promise<unknown>) => Promise<string>,
  emit: (name: 'publish', info: PublishInfo) => void,
  Refusal: typeof ClientError,
): Promise<unknown> {
  const name = `tidings-outbox:${new URL(o.url, location.href).href}`;
  const me = Math.random().toString(36).slice(2);
  const lockOf = (owner: string) => `${name}:${owner}`;
  let release!: () => void;
  // Held until the client closes or the tab goes. A row is written only once it is held, so no
  // other client can take a living owner for a dead one.
  await new Promise<void>((granted, refused) => {
    navigator.locks
      .request(lockOf(me), () => {
        granted();
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      })
      .catch(refused);
  });
  const opening = indexedDB.open(name, 1);
  opening.onupgradeneeded = () =>
    opening.result.createObjectStore(STORE, { keyPath: 'key' }).createIndex('seq', 'seq');
  let db: IDBDatabase;
  try {
    db = await result(opening);
  } catch (error) {
    release();
    throw error;
  }
  let closed = false;
  let count = 0;
  const store = () => db.transaction(STORE, 'readwrite').objectStore(STORE);
  const rows = async () => (await result(store().index('seq').getAll())) as Row[];
  const put = (message: PublishMessage) => {
    if (!closed) store().put({ key: message.key, message, owner: me, seq: [Date.now(), ++count] });
  };

  for (const owner of new Set((await rows()).map((row) => row.owner))) {
    if (owner === me) continue;
    // Granted only if the owner is gone.
    await navigator.locks.request(lockOf(owner), { ifAvailable: true }, async (lock) => {
      if (!lock) return;
      const s = store();
      for (const row of (await result(s.getAll())) as Row[]) {
        if (row.owner === owner) s.put({ ...row, owner: me });
      }
      await committed(s.transaction);
    });
  }
  const adopted = (await rows()).filter((row) => row.owner === me);

  // Published before this loaded: written after the rows taken over, which go out first.
  for (const message of outbox) put(message);
  // Queued now, synchronously, before the listener below: their rows are written already. The
  // outbox grows with each one queued; a closed client refuses them all with `closed`, keeping them.
  const last = adopted.reduce<Promise<unknown>>((before, row) => {
    if (outbox.size < o.maxOutbox || client.status === 'closed')
      return send(row.message, before).catch(String);
    store().delete(row.key);
    const error = new Refusal('outbox_full', `${outbox.size} waiting`);
    emit('publish', { ...row.message, state: 'refused', error });
    return before;
  }, Promise.resolve());
  client.on('publish', ({ state, id: _, error, ...message }: PublishInfo) => {
    if (state === 'queued') put(message);
    else if (state !== 'sent' && !closed && (error as ClientError)?.code !== 'closed') {
      store().delete(message.key);
    }
  });
  const close = (): void => {
    closed = true;
    db.close();
    release();
  };
  client.on('closed', close);
  // Closed while this loaded: nothing more to store, and the rows are for the next client.
  if (client.status === 'closed') close();
  return last;
}
