import { withTimeout } from '@tidings/core/broker';
import type { PgListenClient, PgResult } from '../postgres-client.ts';

/** What the LISTEN connection needs. */
export interface ListenConnectionOptions {
  create(): PgListenClient;
  channel: string;
  /** How long to wait before trying to open it again, in ms. */
  retryMs: number;
  /** Bounds connecting and each query, in ms. */
  timeoutMs: number;
  /** A notification arrived (its payload, a seq, is only a hint). */
  onNotify(): void;
  /** The connection is open and listening again after it was lost: catch up from the table. */
  onReopen(): void;
  onError(error: unknown): void;
}

/**
 * The broker's own connection: it LISTENs for wake-ups and runs the feed's reads, so the feed never
 * waits behind the app's pool. When it breaks (a Postgres restart, a partition noticed by the
 * health check) it is replaced, and the feed catches up from the table.
 */
export class ListenConnection {
  #client: PgListenClient | undefined;
  readonly #o: ListenConnectionOptions;
  #reopening = false;
  #closed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: ListenConnectionOptions) {
    this.#o = options;
  }

  get ready(): boolean {
    return this.#client !== undefined;
  }

  /** Opens and LISTENs; rejects if it cannot (the first time only: afterwards it retries). */
  async open(): Promise<void> {
    const client = this.#o.create();
    client.on('notification', (message) => {
      if (message.channel === this.#o.channel) this.#o.onNotify();
    });
    client.on('error', (error) => {
      this.#o.onError(error);
      this.replace(client);
    });
    client.on('end', () => this.replace(client));
    try {
      await withTimeout(client.connect(), this.#o.timeoutMs, () => new Error('connect timed out'));
      await withTimeout(
        client.query(`LISTEN "${this.#o.channel}"`),
        this.#o.timeoutMs,
        () => new Error('LISTEN timed out'),
      );
    } catch (error) {
      drop(client);
      throw error;
    }
    if (this.#closed) {
      drop(client);
      return;
    }
    this.#client = client;
  }

  /** Runs a query on this connection, one at a time (a pg client takes one query at a time). */
  query(text: string, values: unknown[]): Promise<PgResult> {
    const run = this.#queue.then(() => {
      const client = this.#client;
      if (!client) throw new Error('the LISTEN connection is not open');
      return client.query(text, values);
    });
    this.#queue = run.then(
      () => {},
      () => {},
    );
    return withTimeout(
      run,
      this.#o.timeoutMs,
      () => new Error(`Postgres did not answer within ${this.#o.timeoutMs} ms`),
    );
  }

  /** Drops `client` (default: the current one) and opens a new connection, retrying until it works. */
  replace(client: PgListenClient | undefined = this.#client): void {
    if (client && client !== this.#client) return;
    if (this.#client) drop(this.#client);
    this.#client = undefined;
    // Queries stuck on the dropped socket must not hold the next connection's.
    this.#queue = Promise.resolve();
    if (this.#reopening || this.#closed) return;
    this.#reopening = true;
    const attempt = () => {
      this.open().then(
        () => {
          this.#reopening = false;
          if (!this.#closed) this.#o.onReopen();
        },
        (error: unknown) => {
          this.#o.onError(error);
          if (this.#closed) return;
          this.#timer = setTimeout(attempt, this.#o.retryMs);
        },
      );
    };
    attempt();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      client.removeAllListeners();
      await withTimeout(client.end(), this.#o.timeoutMs, () => new Error('end timed out')).catch(() =>
        drop(client),
      );
    }
  }
}

/** Forgets a client whose socket may be dead: end() would wait for an answer that never comes. */
function drop(client: PgListenClient): void {
  client.removeAllListeners();
  client.on('error', () => {});
  const stream = (client as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream;
  if (stream?.destroy) stream.destroy();
  else client.end().catch(() => {});
}
