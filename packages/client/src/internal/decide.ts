import type { ClientErrorCode } from '../client-error.ts';

/** How a connection attempt ended, as a transport reports it. */
export interface Failure {
  /** Human-readable reason; becomes the error message or the fallback reason. */
  message: string;
  /**
   * This transport does not get through here while plain HTTP does: its answer began but its first
   * bytes never came (a buffering proxy), or it got no answer at all while a short poll did.
   */
  silent?: boolean;
  /** HTTP status of a refused request. */
  status?: number;
  /** WebSocket close code. */
  close?: number;
  /**
   * Protocol error code, from an error body, an SSE `close` event or a WebSocket close reason; or the
   * client's own `network` (no HTTP answer at all: the server or the network is down, not the
   * transport) or `heartbeat_timeout`.
   */
  code?: ClientErrorCode;
  /** The topics a `forbidden` answer refused (the others may be asked for again). */
  topics?: string[];
  /** Wait at least this long before coming back (Retry-After, the SSE `close` event's retryMs), in ms. */
  retryMs?: number;
}

/**
 * What to do after a failure: reconnect after waiting this many ms, move down the transport list,
 * get a new token first, or give up.
 */
export type Decision = number | 'fallback' | 'refresh' | 'stop';

// WebSocket close codes (CLOSE_CODES in @tidings/core/protocol, which a test checks these against),
// written out so the table object stays out of the bundle.
const UNAUTHORIZED = 4401;
const POLICY_VIOLATION = 1008;
/** "A limit: come back later"; a connection the server closes with it does not reset the backoff. */
export const TRY_AGAIN_LATER = 1013;

/**
 * The fallback decision. Auth and permission answers are about the user, not the transport, so they
 * never cause a fallback. A transport answered with "no such route", or that does not get through
 * while plain HTTP does, is left for the next one. An answer without the protocol's error body comes
 * from something in between (a proxy's own 403 page, a gateway's 502 or 504): a 403 of that kind is
 * left at once, a 5xx once `strikes` (failed attempts in a row on this transport) reaches 2, since
 * one can be a passing hiccup. Everything else is a passing outage, retried on the same transport;
 * the client probes the better transports again later.
 */
export function decide(
  failure: Failure,
  canRefresh: boolean,
  canFallBack: boolean,
  strikes: number,
): Decision {
  const { status, code } = failure;
  // The table's `recover` column (ERROR_CODES in @tidings/core/protocol), read through status and
  // close codes so the table itself stays out of the bundle.
  if (status === 401 || failure.close === UNAUTHORIZED || code === 'token_expired' || code === 'revoked') {
    return canRefresh ? 'refresh' : 'stop';
  }
  const foreign = status! > 0 && !code;
  // A protocol 403 is `forbidden` (its topics, when it names them, are handled before this).
  if (
    code === 'misconfigured' ||
    code === 'kicked' ||
    status === 400 ||
    failure.close === POLICY_VIOLATION ||
    code === 'forbidden'
  ) {
    return 'stop';
  }
  if (status! < 500 && status !== 403 && status !== 408 && status !== 429) {
    return canFallBack ? 'fallback' : 'stop';
  }
  if (canFallBack && (failure.silent || (foreign && (status === 403 || (status! > 499 && strikes > 1))))) {
    return 'fallback';
  }
  return failure.retryMs ?? 0;
}
