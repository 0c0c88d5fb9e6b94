import type { TransportName } from '../options.ts';

/** How a connection attempt ended, as a transport reports it. */
export interface Failure {
  /** Human-readable reason; becomes the error message or the fallback reason. */
  message: string;
  /** The connection had delivered (WebSocket welcome, SSE first bytes, first poll answer). */
  opened?: boolean;
  /** No HTTP answer at all: the server or the network is down, not the transport. */
  network?: boolean;
  /** The transport answered but its first bytes did not come within `openTimeoutMs` (a buffering proxy). */
  silent?: boolean;
  /** HTTP status of a refused request. */
  status?: number;
  /** WebSocket close code. */
  close?: number;
  /** Protocol error code, from an error body, an SSE `close` event or a WebSocket close reason. */
  code?: string;
  /** Wait at least this long before coming back (Retry-After, the SSE `close` event's retryMs), in ms. */
  retryMs?: number;
}

/** What to do after a failure: reconnect after a wait, move down the transport list, get a new token first, or give up. */
export type Decision =
  | { action: 'retry'; waitMs: number }
  | { action: 'fallback' }
  | { action: 'refresh' }
  | { action: 'stop' };

/**
 * The fallback decision. Auth and permission answers are about the user, not the transport, so they
 * never cause a fallback; a transport that is answered with "no such route", says nothing in time,
 * or (WebSocket) is refused while plain HTTP works is left for the next one; everything else is a
 * passing outage, retried on the same transport.
 */
export function decide(
  failure: Failure,
  transport: TransportName,
  canRefresh: boolean,
  canFallBack: boolean,
): Decision {
  const { status, code } = failure;
  if (status === 401 || failure.close === 4401 || code === 'unauthorized' || code === 'token_expired') {
    return canRefresh ? { action: 'refresh' } : { action: 'stop' };
  }
  if (status === 400 || status === 403 || failure.close === 1008 || code === 'forbidden') {
    return { action: 'stop' };
  }
  if (status !== undefined && status < 500 && status !== 408 && status !== 429) {
    return canFallBack ? { action: 'fallback' } : { action: 'stop' };
  }
  const refused = transport === 'ws' && !failure.opened && !failure.network && status === undefined;
  if (canFallBack && (failure.silent || refused)) return { action: 'fallback' };
  return { action: 'retry', waitMs: failure.retryMs ?? 0 };
}
