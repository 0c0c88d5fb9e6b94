import { ERROR_CODES, type ErrorCode } from './protocol/codes.ts';

/**
 * The one error class of tidings. `code` comes from the protocol's table, which fixes the HTTP
 * status and WebSocket close code; `retryAfterS` is sent as `Retry-After` where it applies.
 */
export class TidingsError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterS: number | undefined;

  constructor(code: ErrorCode, message: string, retryAfterS?: number) {
    super(message);
    this.name = 'TidingsError';
    this.code = code;
    this.retryAfterS = retryAfterS;
  }

  /** The HTTP status for this error. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** The WebSocket close code for this error when it ends a connection. */
  get closeCode(): number {
    return ERROR_CODES[this.code].close;
  }
}

/** Returns true when `value` is a TidingsError. */
export function isTidingsError(value: unknown): value is TidingsError {
  return value instanceof TidingsError;
}
