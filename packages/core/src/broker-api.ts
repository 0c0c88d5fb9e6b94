/**
 * `@tidings/core/broker`: what a broker author needs. A broker stores events, gives them ids and
 * carries them to every hub that shares it (see `Broker`); the in-memory broker is the reference.
 */

export {
  type Broker,
  type BrokerHead,
  type BrokerListener,
  type DuplicatePublish,
  type HistoryResult,
  type IdempotencyInput,
  isDuplicatePublish,
  type PublishInput,
} from './broker.ts';
export type {
  ClusterMember,
  ClusterNode,
  ClusterView,
  ConnectionTarget,
  ControlMessage,
  NodeConnections,
  NodeInfo,
  OperatorReason,
  PresenceChange,
  PresenceEdge,
  PresenceSnapshot,
  Revocation,
} from './cluster.ts';
export { isTidingsError, TidingsError } from './errors.ts';
export { createEpoch, type EventPosition, formatEventId, parseEventId } from './event-id.ts';
export { EventRecord } from './event-record.ts';
export { HealthCheck, type HealthCheckOptions } from './health-check.ts';
export { createMemoryCluster } from './memory-cluster.ts';
export {
  createRetentionPolicy,
  RETENTION_DEFAULTS,
  type Retention,
  type RetentionOptions,
} from './retention.ts';
export { withTimeout } from './with-timeout.ts';
