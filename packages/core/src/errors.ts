import { ERROR_CODES, type ErrorCode, isErrorCode } from './protocol/codes.ts';

/**
 * The one error class of tidings. `code` comes from the protocol's table, which fixes the HTTP
 * status and WebSocket close code; `retryAfterMs` is sent as `Retry-After` (rounded up to whole
 * seconds) where it applies.
 */
export class TidingsError extends Error {
  override readonly name: 'TidingsError' = 'TidingsError';
  readonly code: ErrorCode;
  readonly retryAfterMs: number | undefined;
  /**
   * The topics a `forbidden` refused, all of them: sent in the error body (and the WebSocket `error`
   * frame) so a client can subscribe again without them. Undefined when the refusal is not about
   * topics (an origin, say).
   */
  readonly topics: readonly string[] | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryAfterMs?: number; cause?: unknown; topics?: readonly string[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
    this.topics = options.topics;
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

/**
 * Returns true when `value` is a TidingsError. It checks the shape (`name` and a known `code`), not
 * the class, so an error from a second copy of this package (two versions installed) still counts.
 */
export function isTidingsError(value: unknown): value is TidingsError {
  if (typeof value !== 'object' || value === null) return false;
  const { name, code } = value as { name?: unknown; code?: unknown };
  return name === 'TidingsError' && isErrorCode(code);
}

/** Where an unexpected error happened, as `onError` is told. */
export type ErrorStage =
  /** The app's `authenticate` threw. */
  | 'authenticate'
  /** The app's `authorize` threw. */
  | 'authorize'
  /** The broker failed (a publish, a replay, the live stream, a ticket claim). */
  | 'broker'
  /** The JWT keys could not be had: the JWKS URL failed (network, timeout, not a key set), or an inline key does not import. */
  | 'jwks'
  /** An adapter is mounted where its path can never be reached. */
  | 'mount'
  /** One of the app's hooks (`onConnect`, `onDisconnect`, `onSubscribe`, `onUnsubscribe`, `onReset`) threw; `hook` names it. */
  | 'hook'
  /** Anything else: a bug, reported with its stack. */
  | 'internal';

/** What `onError` is told besides the error. */
export interface ErrorInfo {
  stage: ErrorStage;
  /** The route being answered (`poll`, `long-poll`, `sse`, `publish`, `ws`); absent for `hub.publish` and background work. */
  route?: string;
  /** The hook that threw, for stage `hook`. */
  hook?: string;
}

/**
 * The one normalisation of anything thrown: a TidingsError (of any copy of the package) passes
 * through; anything else is reported to `report` and becomes a generic `internal` error (or the
 * `as` code, e.g. `unavailable` for a broker), whose message never carries the original's text.
 */
export function toTidingsError(
  error: unknown,
  info: ErrorInfo,
  report: ((error: unknown, info: ErrorInfo) => void) | undefined,
  as: { code: ErrorCode; message: string; retryAfterMs?: number } = {
    code: 'internal',
    message: 'internal error',
  },
): TidingsError {
  if (isTidingsError(error)) return error;
  try {
    report?.(error, info);
  } catch {
    // A throwing onError must not turn one failure into another.
  }
  const options = as.retryAfterMs === undefined ? {} : { retryAfterMs: as.retryAfterMs };
  return new TidingsError(as.code, as.message, options);
}
