/** A snapshot of a hub's counters. */
export interface HubStats {
  /** Open connections by transport; a waiting long poll counts, a short poll does not. */
  connections: { total: number; ws: number; sse: number; longPoll: number };
  /** Topics with at least one subscriber on this hub. */
  topics: number;
  /** Events published through this hub. */
  published: number;
  /** Event deliveries to connections (one event to ten subscribers counts ten). */
  delivered: number;
  /** Connections dropped as slow consumers. */
  dropped: number;
  /** Resets sent (to connections and in poll answers). */
  resets: number;
}
