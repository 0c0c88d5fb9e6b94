import type { Envelope } from '@tidings/core/protocol';
import type { ResetInfo } from '../client.ts';
import type { ClientError } from '../client-error.ts';
import type { Resolved } from '../options.ts';
import type { Failure } from './decide.ts';

/**
 * What the client gives one transport attempt, and how the attempt reports back. It carries the
 * client's options (as fields of its own: shorter to reach) with the attempt's topics and token.
 */
export interface Link extends Readonly<Omit<Resolved, 'topics' | 'token' | 'cursor'>> {
  readonly topics: readonly string[];
  readonly token: string | undefined;
  /** The cursor now (it moves while the attempt runs). */
  cursor(): string | undefined;
  /** A cursor learned without an event (welcome, poll answer). */
  setCursor(cursor: string): void;
  /**
   * The transport delivers: the welcome, the SSE opening, the first poll answer. With the server's
   * heartbeat interval the connection is watched for silence from then on; `ping` asks the server
   * for a sign of life where the transport can (a WebSocket). `head`: the cursor the stream starts
   * at, the client's own when it has none.
   */
  open(heartbeatMs?: number, head?: string, ping?: () => void): void;
  /** Anything arrived from the server: the connection is alive. */
  beat(): void;
  /**
   * Starts the opening clock of a stream (WebSocket, SSE), replacing the one running. Until the
   * answer began: `connectTimeoutMs`, after which the attempt is dropped and explained (see
   * why). Once it began (`began`, the HTTP head or the WebSocket handshake): `openTimeoutMs` for
   * its first bytes (the SSE opening, the welcome), after which the attempt is dropped as held by
   * something in between (`silent`: a buffering proxy?). `open` stops it.
   */
  wait(began?: boolean): void;
  /**
   * Explains the attempt: drops it and asks plain HTTP why it failed (see diagnose): a stream that failed before
   * it opened says nothing of why, and the browser hides a refused upgrade's status.
   */
  why(): void;
  event(envelope: Envelope): void;
  reset(info: ResetInfo): void;
  /**
   * The server removed these topics from the connection (`hub.unsubscribe`): they are dropped, as
   * refused topics are, and reported with the code `unsubscribed`; the cursor does not move.
   */
  unsubscribed(info: { topics: string[] }): void;
  /**
   * A non-fatal error the app should hear about; with `refused`, the server refused those topics
   * (`forbidden`) on the open connection, which carries on without them.
   */
  error(error: ClientError, refused?: string[]): void;
  /** The attempt is over. Called at most once; nothing is called after it. */
  fail(failure: Failure): void;
}

/** The fields of a publish; `key` is its idempotency key, the same each time it is sent. */
export interface PublishMessage {
  topic: string;
  data: unknown;
  event?: string;
  key: string;
}

/** A running transport attempt. */
export interface Channel {
  /** Ends the attempt without reporting back. */
  close(): void;
  /** Publishes over this connection, if it can (an open WebSocket); else undefined. */
  publish?(message: PublishMessage): Promise<string> | undefined;
  /** Hands a fresh token to the open connection, if it can (a WebSocket, in band). */
  auth?(token: string): void;
  /** Changes topics in place, if it can; false means "reconnect with the new topics". */
  retopic?(added: string[], removed: string[]): boolean;
}

/** Starts a transport attempt. Must report through the link asynchronously, never during the call. */
export type Opener = (link: Link) => Channel;
