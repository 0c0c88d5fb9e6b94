/**
 * `@tidings/postgres`: a broker that keeps tidings' events in the Postgres database the app already
 * has. Hubs on many nodes share one ordered log; an event can be published inside the app's own
 * transaction, so it exists if and only if that transaction commits.
 */
export { createPostgresBroker, type PostgresBroker } from './postgres-broker.ts';
export {
  POSTGRES_BROKER_DEFAULTS,
  type PostgresBrokerOptions,
  type ResolvedPostgresBrokerOptions,
} from './postgres-broker-options.ts';
export type {
  DrizzleExecutor,
  PgListenClient,
  PgNotification,
  PgPool,
  PgQueryable,
  PgResult,
} from './postgres-client.ts';
export { migrate, SCHEMA_VERSION, schemaSql } from './schema.ts';
