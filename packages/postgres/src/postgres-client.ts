/**
 * The parts of `pg` (node-postgres 8) the broker uses, typed by shape so an app can hand in the
 * `Pool` it already has, or a client of its own inside a transaction.
 */

/** What a query answers. */
export interface PgResult {
  rows: Record<string, unknown>[];
}

/** Anything that runs a parameterised query: a `Pool`, a `PoolClient`, a `Client`. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<PgResult>;
}

/** A `pg` Pool. */
export interface PgPool extends PgQueryable {
  /** The pool's connection settings, used to open the broker's own LISTEN connection. */
  readonly options?: object;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off?(event: 'error', listener: (error: Error) => void): unknown;
}

/** A notification as `pg` delivers it. */
export interface PgNotification {
  channel: string;
  payload?: string | undefined;
}

/** A dedicated `pg` Client, for LISTEN. */
export interface PgListenClient extends PgQueryable {
  connect(): Promise<unknown>;
  end(): Promise<unknown>;
  on(event: 'notification', listener: (message: PgNotification) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeAllListeners(event?: string): unknown;
}

/**
 * A Drizzle transaction or database over node-postgres (`db.transaction(async (tx) => …)`): the
 * broker runs its insert with Drizzle's `sql` tag through `execute`, so it is part of that transaction.
 */
export interface DrizzleExecutor {
  execute(query: unknown): Promise<unknown>;
}
