import type { PgQueryable } from './postgres-client.ts';

/** The version of the schema this package creates; `meta.version` records the one in place. */
export const SCHEMA_VERSION = 1;

const NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/** Checks a schema name: lower-case letters, digits and `_`, so it never needs quoting. */
export function checkSchemaName(schema: string): string {
  if (!NAME.test(schema)) {
    throw new TypeError(`schema must match ${NAME.source} (lower case, digits, _), got ${schema}`);
  }
  return schema;
}

/**
 * The SQL that creates (or completes) the broker's tables in `schema`; idempotent, so it is safe to
 * run on every start. `sql/schema.sql` is this text for the default schema `tidings`, for teams who
 * run migrations themselves (then pass `migrate: false`).
 *
 * - `events`: one row per event; `seq` (bigserial) is the event id's sequence number, `time` and
 *   `expires` are ms by Postgres's clock (`expires` = time + the topic's retentionMs).
 * - `topics`: per topic, the newest seq it no longer retains (its loss mark), set by the trim.
 * - `meta`: one row: the epoch of the log and `forgot`, the newest loss mark of any topic whose row
 *   was dropped (a topic without a row counts as lost before it).
 * - `claims`: keys claimed once until `until` (ms by Postgres's clock): connect tickets are
 *   single-use across every node through it.
 * - `idempotency_keys`: each idempotency key of a publish, the seq and epoch of the event it
 *   stored, and until when it stands (ms by Postgres's clock; lapsed rows are dropped by the trim).
 */
export function schemaSql(schema = 'tidings'): string {
  const s = checkSchemaName(schema);
  return `CREATE SCHEMA IF NOT EXISTS ${s};

CREATE TABLE IF NOT EXISTS ${s}.meta (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  epoch text NOT NULL,
  forgot bigint NOT NULL DEFAULT 0,
  version integer NOT NULL
);
INSERT INTO ${s}.meta (epoch, version)
  VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 16), ${SCHEMA_VERSION})
  ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS ${s}.events (
  seq bigserial PRIMARY KEY,
  topic text NOT NULL,
  event text NOT NULL,
  data text NOT NULL,
  time bigint NOT NULL,
  expires bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS events_topic_seq ON ${s}.events (topic, seq);
CREATE INDEX IF NOT EXISTS events_expires ON ${s}.events (expires);

CREATE TABLE IF NOT EXISTS ${s}.topics (
  topic text PRIMARY KEY,
  lost bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS topics_lost ON ${s}.topics (lost);
CREATE TABLE IF NOT EXISTS ${s}.claims (
  key text PRIMARY KEY,
  until bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS claims_until ON ${s}.claims (until);
CREATE TABLE IF NOT EXISTS ${s}.idempotency_keys (
  key text PRIMARY KEY,
  seq bigint NOT NULL,
  epoch text NOT NULL,
  until bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_keys_until ON ${s}.idempotency_keys (until);
`;
}

/**
 * Creates or completes the schema. Concurrent starts are serialised by a transaction-scoped
 * advisory lock, so two nodes starting together never race on `CREATE … IF NOT EXISTS`.
 */
export async function migrate(db: PgQueryable, schema: string): Promise<void> {
  await db.query(`BEGIN;
SELECT pg_advisory_xact_lock(hashtext('tidings-migrate:' || '${checkSchemaName(schema)}'));
${schemaSql(schema)}
COMMIT;`);
}
