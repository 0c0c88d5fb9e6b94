/** How the load generator talks to a target. */
export type ClientKind =
  /** Plain WebSocket text frames (tidings, raw ws). */
  | 'ws'
  /** Socket.IO 4 over a WebSocket (engine.io v4 framing, spoken by hand). */
  | 'sio-ws'
  /** Server-Sent Events over node:http, parsed by hand. */
  | 'sse'
  /** Long polls with a cursor, JSON `{events:[{data}], cursor}` answers (tidings, raw node:http). */
  | 'long-poll'
  /** Short polls with a cursor, same answers, as fast as answers come. */
  | 'poll'
  /** engine.io v4 HTTP long-polling, spoken by hand. */
  | 'eio-poll'
  /** Socket.IO 4 over engine.io HTTP long-polling, spoken by hand. */
  | 'sio-poll';

/** What one load generator process does: open `clients` clients of one kind against one target. */
export interface LoadJob {
  kind: ClientKind;
  host: string;
  port: number;
  /**
   * Path with query for `ws`, `sio-ws` and `sse`; the route with its query for the polls; the
   * engine.io path for the engine ones. In `ws` and `sse` paths, `{client}` becomes the client's index.
   */
  path: string;
  clients: number;
  /** Connections opened at once while connecting. */
  connectConcurrency: number;
  /** Give up on a client that is not ready after this long, ms. */
  connectTimeoutMs: number;
  /** `ws` only: ready at the socket's open, or at its first message (tidings' welcome). Default open. */
  readyOn?: 'open' | 'message';
  /** Report progress to the server's control port (fan-out scenarios). */
  credit?: { port: number; intervalMs: number };
}
