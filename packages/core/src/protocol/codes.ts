/**
 * The one table of error codes (docs/protocol.md, "Errors and close codes"). Everything else is
 * derived from it: the HTTP status of an error answer, the WebSocket close code and reason, the
 * SSE `close` event's code and retry, and what a client does next. Nothing else lists a number.
 */

// Plain constants, so the table below is a pure literal that bundlers drop when unused (the client).
const NORMAL = 1000;
const GOING_AWAY = 1001;
const POLICY_VIOLATION = 1008;
const MESSAGE_TOO_BIG = 1009;
const INTERNAL_ERROR = 1011;
const TRY_AGAIN_LATER = 1013;
const UNAUTHORIZED = 4401;

/** WebSocket close codes the protocol uses (RFC 6455 section 7.4.1, plus 4401 in the private range). */
export const CLOSE_CODES: {
  /** A plain close. */
  readonly normal: 1000;
  /** The server is going away, or the peer missed its heartbeat. */
  readonly goingAway: 1001;
  /** The peer broke the protocol's rules (bad input, refused topics, too many malformed messages). */
  readonly policyViolation: 1008;
  /** A message over `maxMessageBytes`. */
  readonly messageTooBig: 1009;
  /** Something unexpected failed on the server. */
  readonly internalError: 1011;
  /** A limit: come back later. */
  readonly tryAgainLater: 1013;
  /** The credential is missing, invalid or expired: come back with a fresh one. */
  readonly unauthorized: 4401;
} = {
  normal: NORMAL,
  goingAway: GOING_AWAY,
  policyViolation: POLICY_VIOLATION,
  messageTooBig: MESSAGE_TOO_BIG,
  internalError: INTERNAL_ERROR,
  tryAgainLater: TRY_AGAIN_LATER,
  unauthorized: UNAUTHORIZED,
};

/**
 * What a client does after an answer or a close with this code: `retry` the same transport later
 * (after `Retry-After` when given), `refresh` its token and retry at once, `fallback` to the next
 * transport (this one is not served here), or `stop` (retrying would get the same answer).
 */
export type Recovery = 'retry' | 'refresh' | 'fallback' | 'stop';

/** One row of the table. */
export interface ErrorCodeInfo {
  /** The HTTP status of an answer with this code. */
  readonly status: number;
  /** The WebSocket close code when this code ends a connection (the close reason is the code itself). */
  readonly close: number;
  /** What a client does next. */
  readonly recover: Recovery;
}

/** Every error code, with its HTTP status, WebSocket close code and client recovery. */
export const ERROR_CODES: {
  /** Missing or invalid topics, cursor, timeout or body; invalid JSON. */
  readonly bad_request: ErrorCodeInfo;
  /** No credential where one is needed, or an invalid, forged or expired one. */
  readonly unauthorized: ErrorCodeInfo;
  /** A connection's credential expired while it was open. */
  readonly token_expired: ErrorCodeInfo;
  /** `authorize` refused a topic, or the origin is not allowed. */
  readonly forbidden: ErrorCodeInfo;
  /** The path is not a route of the protocol. */
  readonly not_found: ErrorCodeInfo;
  /** The wrong method for the route; the answer carries `Allow`. */
  readonly method_not_allowed: ErrorCodeInfo;
  /** A body or message over `maxMessageBytes`. */
  readonly payload_too_large: ErrorCodeInfo;
  /** A connection limit is reached. */
  readonly too_many_connections: ErrorCodeInfo;
  /** Too many publishes in a second. */
  readonly rate_limited: ErrorCodeInfo;
  /** The client fell more than `maxBufferedBytes` behind. */
  readonly slow_consumer: ErrorCodeInfo;
  /** A WebSocket sent too many malformed messages. */
  readonly policy_violation: ErrorCodeInfo;
  /** The peer missed its heartbeat (where the server can still say so). */
  readonly heartbeat_timeout: ErrorCodeInfo;
  /** The hub is shutting down, or its broker failed. */
  readonly unavailable: ErrorCodeInfo;
  /** The adapter is mounted where its path can never be reached (a setup mistake, named in the message). */
  readonly misconfigured: ErrorCodeInfo;
  /** Anything unexpected; details go to `onError`, never to the client. */
  readonly internal: ErrorCodeInfo;
  /** The operator ended the connection (`hub.disconnect`) and does not want it back. */
  readonly kicked: ErrorCodeInfo;
  /** The user's tokens were revoked (`hub.revoke`): come back only with a token issued after that. */
  readonly revoked: ErrorCodeInfo;
} = {
  bad_request: { status: 400, close: POLICY_VIOLATION, recover: 'stop' },
  unauthorized: { status: 401, close: UNAUTHORIZED, recover: 'refresh' },
  token_expired: { status: 401, close: UNAUTHORIZED, recover: 'refresh' },
  forbidden: { status: 403, close: POLICY_VIOLATION, recover: 'stop' },
  not_found: { status: 404, close: POLICY_VIOLATION, recover: 'fallback' },
  method_not_allowed: { status: 405, close: POLICY_VIOLATION, recover: 'fallback' },
  payload_too_large: { status: 413, close: MESSAGE_TOO_BIG, recover: 'retry' },
  too_many_connections: { status: 429, close: TRY_AGAIN_LATER, recover: 'retry' },
  rate_limited: { status: 429, close: TRY_AGAIN_LATER, recover: 'retry' },
  slow_consumer: { status: 429, close: TRY_AGAIN_LATER, recover: 'retry' },
  policy_violation: { status: 400, close: POLICY_VIOLATION, recover: 'retry' },
  heartbeat_timeout: { status: 408, close: GOING_AWAY, recover: 'retry' },
  unavailable: { status: 503, close: GOING_AWAY, recover: 'retry' },
  misconfigured: { status: 500, close: INTERNAL_ERROR, recover: 'stop' },
  internal: { status: 500, close: INTERNAL_ERROR, recover: 'retry' },
  kicked: { status: 403, close: POLICY_VIOLATION, recover: 'stop' },
  revoked: { status: 401, close: UNAUTHORIZED, recover: 'refresh' },
};

/** A machine-readable error code, as sent in HTTP error bodies, WebSocket `error` frames and close reasons, and SSE `close` events. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Returns true when `value` is one of the protocol's error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
