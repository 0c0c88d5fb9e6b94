-- The schema of @tidings/postgres for the default schema name `tidings` (version 1).
-- Run it in your own migrations and pass `migrate: false`; for another schema name, replace
-- `tidings.` and the CREATE SCHEMA line. Idempotent: safe to run again.

CREATE SCHEMA IF NOT EXISTS tidings;

CREATE TABLE IF NOT EXISTS tidings.meta (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  epoch text NOT NULL,
  forgot bigint NOT NULL DEFAULT 0,
  version integer NOT NULL
);
INSERT INTO tidings.meta (epoch, version)
  VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 16), 1)
  ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS tidings.events (
  seq bigserial PRIMARY KEY,
  topic text NOT NULL,
  event text NOT NULL,
  data text NOT NULL,
  time bigint NOT NULL,
  expires bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS events_topic_seq ON tidings.events (topic, seq);
CREATE INDEX IF NOT EXISTS events_expires ON tidings.events (expires);

CREATE TABLE IF NOT EXISTS tidings.topics (
  topic text PRIMARY KEY,
  lost bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS topics_lost ON tidings.topics (lost);

CREATE TABLE IF NOT EXISTS tidings.claims (
  key text PRIMARY KEY,
  until bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS claims_until ON tidings.claims (until);

CREATE TABLE IF NOT EXISTS tidings.idempotency_keys (
  key text PRIMARY KEY,
  seq bigint NOT NULL,
  epoch text NOT NULL,
  until bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_keys_until ON tidings.idempotency_keys (until);
