/**
 * The part of a node-redis (`redis` 5 or 6) client the broker uses. Typed by shape, not by class,
 * so an app can hand in the client it already has, whatever modules, scripts or RESP version it
 * was created with.
 */
export interface RedisConnection {
  /** True once the socket is open (connected or reconnecting). */
  readonly isOpen: boolean;
  /** True while the connection can run commands. */
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  /** Closes after pending replies arrive. */
  close(): Promise<unknown>;
  /** Closes at once, failing pending commands. */
  destroy(): void;
  on(event: 'ready' | 'error', listener: (...args: unknown[]) => void): unknown;
  off(event: 'ready' | 'error', listener: (...args: unknown[]) => void): unknown;
}

/** Per-command options of node-redis the broker passes. */
export interface RedisCommandOptions {
  /** Rejects the command while it still waits to be written. */
  abortSignal?: AbortSignal;
  /** Rejects the command after this many ms, written or not. */
  timeout?: number;
}

/** A connection that runs commands: the broker sends EVALSHA/EVAL (and PING) through it. */
export interface RedisCommandClient extends RedisConnection {
  sendCommand(args: string[], options?: RedisCommandOptions): Promise<unknown>;
  /** A new connection with the same options, used for the subscription. */
  duplicate(): RedisSubscriberClient;
}

/** A connection the broker puts in subscribe mode (and PINGs, which Redis allows while subscribed). */
export interface RedisSubscriberClient extends RedisConnection {
  sendCommand(args: string[], options?: RedisCommandOptions): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener?: (message: string, channel: string) => void): Promise<unknown>;
}
