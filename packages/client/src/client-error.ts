import type { ErrorCode } from '@tidings/core/protocol';

/**
 * Codes of the client's own, for failures no server answer names: `network` (no answer from the
 * server), `disconnected` (the connection ended without a reason), `closed` (the client was
 * closed), `bad_response` (an answer that does not follow the protocol), `outbox_full` (a publish
 * while `maxOutbox` publishes wait for their answer), `unsubscribed` (the server removed a topic
 * from the connection: `hub.unsubscribe`).
 */
export type ClientOwnCode =
  | 'network'
  | 'disconnected'
  | 'closed'
  | 'bad_response'
  | 'outbox_full'
  | 'unsubscribed';

/** Every code a ClientError can carry: the protocol's error codes and the client's own. */
export type ClientErrorCode = ErrorCode | ClientOwnCode;

/** The one error class of the client; `code` says what happened, machine-readably. */
export class ClientError extends Error {
  /** Machine-readable reason. */
  declare readonly code: ClientErrorCode;
  /** The HTTP status, when the error came from an HTTP answer. */
  declare readonly status: number | undefined;
  /**
   * The topic the error is about: set when the server refused this one topic (`forbidden`) or took
   * it away (`unsubscribed`).
   */
  declare readonly topic: string | undefined;

  /** `message` defaults to the code. */
  constructor(code: ClientErrorCode, message: string = code, status?: number, topic?: string) {
    super(message);
    // Own fields, so that a spread copies them (errors cross tabs as plain objects).
    Object.assign(this, { name: 'ClientError', code, status, topic });
  }
}

/**
 * A code read off the wire. Codes come from the server and are the protocol's; anything that is not
 * a short code name (a proxy's garbage) becomes `bad_response`. The table itself is not bundled:
 * the client stays small.
 */
export function toClientCode(value: unknown): ClientErrorCode {
  return typeof value === 'string' && /^[a-z_]{1,32}$/.test(value)
    ? (value as ClientErrorCode)
    : 'bad_response';
}
