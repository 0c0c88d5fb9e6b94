/**
 * The one table of error codes. Each code maps to the HTTP status it is answered with and the
 * WebSocket close code used when it ends a connection (see PROTOCOL.md, "Errors").
 */
/** A machine-readable error code, as sent in HTTP error bodies, WebSocket `error` frames and SSE `close` events. */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'token_expired'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'too_many_connections'
  | 'rate_limited'
  | 'slow_consumer'
  | 'policy_violation'
  | 'unavailable'
  | 'internal';

export const ERROR_CODES: Readonly<Record<ErrorCode, { readonly status: number; readonly close: number }>> = {
  bad_request: { status: 400, close: 1008 },
  unauthorized: { status: 401, close: 4401 },
  token_expired: { status: 401, close: 4401 },
  forbidden: { status: 403, close: 1008 },
  not_found: { status: 404, close: 1008 },
  method_not_allowed: { status: 405, close: 1008 },
  payload_too_large: { status: 413, close: 1009 },
  too_many_connections: { status: 429, close: 1013 },
  rate_limited: { status: 429, close: 1013 },
  slow_consumer: { status: 429, close: 1013 },
  policy_violation: { status: 400, close: 1008 },
  unavailable: { status: 503, close: 1001 },
  internal: { status: 500, close: 1011 },
};

/** WebSocket close codes the server uses (RFC 6455 section 7.4, plus 4401 for an expired token). */
export const CLOSE_CODES: {
  readonly normal: 1000;
  readonly goingAway: 1001;
  readonly policyViolation: 1008;
  readonly messageTooBig: 1009;
  readonly internalError: 1011;
  readonly tryAgainLater: 1013;
  readonly tokenExpired: 4401;
} = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
  tryAgainLater: 1013,
  tokenExpired: 4401,
} as const;

/** Returns true when `value` is one of the protocol's error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
