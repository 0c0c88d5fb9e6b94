import type { Principal } from './principal.ts';
import type { ErrorCode } from './protocol/codes.ts';

/** A connection as the hooks see it: read-only, and the hub's own object (nothing is copied for a hook). */
export interface ConnectionInfo {
  /** Unique in the cluster; the WebSocket `welcome` carries it, and `hub.disconnect({ connectionId })` takes it. */
  readonly id: string;
  readonly transport: 'ws' | 'sse' | 'long-poll';
  readonly principal: Principal;
  /** The client's address as the adapter reported it, if any. */
  readonly ip: string | undefined;
  /** The topics it is subscribed to now. */
  readonly topics: readonly string[];
}

/**
 * Why a connection ended: `client` (the client went away: closed its socket, aborted its stream or
 * poll), `normal` (a long poll was answered, a plain close), `shutdown` (`hub.close()`), or the
 * error code the server ended it with: `heartbeat_timeout`, `slow_consumer`, `token_expired`,
 * `kicked` and `revoked` (`hub.disconnect`, `hub.revoke`), `unavailable`, `policy_violation`,
 * `payload_too_large`, `internal`.
 */
export type DisconnectReason = ErrorCode | 'normal' | 'shutdown' | 'client';

/** A reset sent to a client (see docs/protocol.md, "Events, ids and cursors"). */
export interface ResetInfo {
  /** The transport it went out on (`poll` for a short poll's answer). */
  transport: 'ws' | 'sse' | 'long-poll' | 'poll';
  /** The topics that lost events; absent for a reset of everything. */
  topics?: readonly string[];
  /** The connection, when it went to one (not for answers at once: short polls, long polls behind head). */
  connection?: ConnectionInfo;
}
