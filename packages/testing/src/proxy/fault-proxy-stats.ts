/** A snapshot of what passed through a fault proxy and what its faults did, since it started or `resetStats()`. */
export interface FaultProxyStats {
  connections: {
    /** Client connections accepted. */
    opened: number;
    /** Client connections open now (not reset by `resetStats`). */
    active: number;
    /** Connections to the target that failed (refused, unreachable); the client was reset. */
    upstreamFailed: number;
  };
  bytes: {
    /** Bytes written to the server. */
    up: number;
    /** Bytes written to clients, the proxy's own answers included. */
    down: number;
  };
  requests: {
    /** HTTP requests the proxy read from clients, answered by the server or by the proxy. */
    total: number;
    /**
     * The same by route: a route's name for `{path}/<route>` (the proxy's `path`), the whole path
     * for any other request: `{ sse: 2, poll: 5, '/api/x/poll': 1 }`.
     */
    byRoute: Record<string, number>;
  };
  upgrades: {
    /** Requests asking to switch protocols (WebSocket handshakes). */
    requested: number;
    /** Upgrades the server accepted with `101`. */
    accepted: number;
  };
  /** What each fault did. */
  faults: {
    /** Connections reset by `cut()`. */
    cut: number;
    /** Connections made dead by `blackhole()`, open ones and those opened during it. */
    blackholed: number;
    /** Bytes a blackhole swallowed, both directions. */
    droppedBytes: number;
    /** Requests answered by the proxy because of `status()`. */
    answered: number;
    /** The same by route. */
    answeredByRoute: Record<string, number>;
    /** Upgrade requests answered by `refuseUpgrades()`. */
    refusedUpgrades: number;
    /** Response body bytes `buffer()` held back before releasing them. */
    bufferedBytes: number;
    /** Times `buffer()` released the bytes it held (threshold reached, response ended, or lifted). */
    bufferFlushes: number;
    /** Chunks `latency()` delayed. */
    delayedChunks: number;
  };
}

/** A zeroed stats object (with `active` kept), for the proxy's running counters. */
export function emptyStats(active = 0): FaultProxyStats {
  return {
    connections: { opened: 0, active, upstreamFailed: 0 },
    bytes: { up: 0, down: 0 },
    requests: { total: 0, byRoute: {} },
    upgrades: { requested: 0, accepted: 0 },
    faults: {
      cut: 0,
      blackholed: 0,
      droppedBytes: 0,
      answered: 0,
      answeredByRoute: {},
      refusedUpgrades: 0,
      bufferedBytes: 0,
      bufferFlushes: 0,
      delayedChunks: 0,
    },
  };
}
