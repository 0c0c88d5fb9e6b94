import type { Envelope } from '@tidings/core/protocol';
import type { ClientError } from '../client-error.ts';
import type { Resolved } from '../options.ts';
import type { Failure } from './decide.ts';

/** What the client gives one transport attempt, and how the attempt reports back. */
export interface Link {
  readonly options: Resolved;
  readonly topics: readonly string[];
  readonly token: string | undefined;
  /** The cursor now (it moves while the attempt runs). */
  getCursor(): string | undefined;
  /** A cursor learned without an event (welcome, poll answer). */
  setCursor(cursor: string): void;
  /** The transport delivers: the welcome, the first SSE bytes, the first poll answer. */
  opened(): void;
  event(envelope: Envelope): void;
  reset(cursor: string): void;
  /** A non-fatal error the app should hear about (a refused subscribe). */
  error(error: ClientError): void;
  /** The attempt is over. Called at most once; nothing is called after it. */
  failed(failure: Failure): void;
}

/** The fields of a publish. */
export interface PublishMessage {
  topic: string;
  data: unknown;
  event?: string;
}

/** A running transport attempt. */
export interface Channel {
  /** Ends the attempt without reporting back. */
  close(): void;
  /** Publishes over this connection, if it can (an open WebSocket); else undefined. */
  publish?(message: PublishMessage): Promise<string> | undefined;
  /** Changes topics in place, if it can; false means "reconnect with the new topics". */
  retopic?(added: string[], removed: string[]): boolean;
}

/** Starts a transport attempt. Must report through the link asynchronously, never during the call. */
export type Opener = (link: Link) => Channel;
