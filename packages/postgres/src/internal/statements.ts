/** The broker's SQL, for one schema (a checked name, so it is spliced in without quoting). */
export interface Statements {
  publish: string;
  publishInTx: string;
  publishKeyed: string;
  publishKeyedInTx: string;
  dropKeys: string;
  mark: string;
  read: string;
  round: string;
  rows: string;
  trimAge: string;
  trimCount: string;
  forget: string;
  renewEpoch: string;
  claim: string;
  dropClaims: string;
}

// Postgres's clock in ms, so every node agrees on ages.
const NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

/**
 * The last seq issued, read from the sequence's row. `pg_sequence_last_value` would lock the
 * sequence with RowExclusiveLock, the very lock a round counts as a writer's, so every node reading
 * at that moment would hold the others' delivery back; a plain read takes AccessShareLock only.
 */
function issued(s: string): string {
  return `(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM ${s}.events_seq_seq)`;
}

function upsertMarks(s: string): string {
  return `INSERT INTO ${s}.topics (topic, lost) SELECT topic, max(seq) FROM gone GROUP BY topic
ON CONFLICT (topic) DO UPDATE SET lost = GREATEST(${s}.topics.lost, excluded.lost)`;
}

/**
 * The event insert with an idempotency key, as CTEs after `mark` (if any): $6 key, $7 window ms.
 * `k` reads the key in the statement's snapshot, so a repeat long after the first takes no lock.
 * Otherwise `claim` inserts it with a freshly drawn seq, or, when a concurrent publish holds it
 * (its insert waits for that transaction: commit, and `claim` returns that publish's seq; roll
 * back, and this one is the first), keeps the stored seq unless the key has lapsed. The event is
 * inserted only when `claim` took the fresh seq; the NOTIFY only with it. A repeat answers
 * `duplicate` with the first event's seq and epoch. `nextval` locks the sequence before it draws
 * the seq, so the feed's horizon holds as for any publish; a duplicate leaves its drawn seq unused,
 * like a rolled-back publish.
 */
function keyedInsert(s: string): string {
  return `n AS (SELECT nextval('${s}.events_seq_seq') AS seq, ${NOW} AS now),
k AS (SELECT i.seq, i.epoch FROM ${s}.idempotency_keys i, n WHERE i.key = $6 AND i.until > n.now),
claim AS (
  INSERT INTO ${s}.idempotency_keys AS kept (key, seq, epoch, until)
  SELECT $6, n.seq, m.epoch, n.now + $7::bigint FROM n, ${s}.meta m WHERE NOT EXISTS (SELECT 1 FROM k)
  ON CONFLICT (key) DO UPDATE SET
    seq = CASE WHEN kept.until <= excluded.until - $7::bigint THEN excluded.seq ELSE kept.seq END,
    epoch = CASE WHEN kept.until <= excluded.until - $7::bigint THEN excluded.epoch ELSE kept.epoch END,
    until = CASE WHEN kept.until <= excluded.until - $7::bigint THEN excluded.until ELSE kept.until END
  RETURNING seq, epoch
),
result AS (SELECT seq, epoch FROM k UNION ALL SELECT seq, epoch FROM claim),
ins AS (
  INSERT INTO ${s}.events (seq, topic, event, data, time, expires)
  SELECT n.seq, $1, $2, $3, n.now, n.now + $4::bigint FROM n, result WHERE result.seq = n.seq
  RETURNING seq, time
)
SELECT result.seq::text AS seq, result.epoch, (SELECT time::text FROM ins) AS time,
  NOT EXISTS (SELECT 1 FROM ins) AS duplicate,
  (SELECT pg_notify($5, ins.seq::text) IS NULL FROM ins) AS sent
FROM result`;
}

export function createStatements(s: string): Statements {
  return {
    // $1 key, $2 ttl ms: a row for the first claim, or over a lapsed one; none while a claim holds.
    claim: `INSERT INTO ${s}.claims (key, until) VALUES ($1, ${NOW} + $2::bigint)
ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE ${s}.claims.until < ${NOW}
RETURNING key`,

    // $1 batch size: lapsed claims, a bounded batch per trim.
    dropClaims: `DELETE FROM ${s}.claims WHERE key IN (SELECT key FROM ${s}.claims WHERE until < ${NOW} LIMIT $1)`,

    // $1 topic, $2 event, $3 data, $4 retention ms, $5 channel. One statement: the topic's mark row
    // (its loss mark starts at `forgot`), the event, and the wake-up, which Postgres sends at commit
    // and never for a rolled-back transaction. The payload is the seq alone (NOTIFY holds 8000 bytes).
    publish: `WITH mark AS (
  INSERT INTO ${s}.topics (topic, lost) SELECT $1, forgot FROM ${s}.meta ON CONFLICT (topic) DO NOTHING
), ins AS (
  INSERT INTO ${s}.events (topic, event, data, time, expires)
  SELECT $1, $2, $3, t.now, t.now + $4::bigint FROM (SELECT ${NOW} AS now) t
  RETURNING seq, time
)
SELECT ins.seq::text AS seq, ins.time::text AS time, m.epoch, pg_notify($5, ins.seq::text) IS NULL AS sent
FROM ins, ${s}.meta m`,

    // The same inside the app's transaction, without the topic's mark row: that row is made
    // beforehand outside it, since a row inserted there would make every other transaction
    // publishing to a new topic wait for this one to end.
    publishInTx: `WITH ins AS (
  INSERT INTO ${s}.events (topic, event, data, time, expires)
  SELECT $1, $2, $3, t.now, t.now + $4::bigint FROM (SELECT ${NOW} AS now) t
  RETURNING seq, time
)
SELECT ins.seq::text AS seq, ins.time::text AS time, m.epoch, pg_notify($5, ins.seq::text) IS NULL AS sent
FROM ins, ${s}.meta m`,

    // As \`publish\`, with an idempotency key: $6 key, $7 window ms (see keyedInsert).
    publishKeyed: `WITH mark AS (
  INSERT INTO ${s}.topics (topic, lost) SELECT $1, forgot FROM ${s}.meta ON CONFLICT (topic) DO NOTHING
), ${keyedInsert(s)}`,

    // As \`publishInTx\`, with an idempotency key. The key's row is the app transaction's: it exists
    // iff the transaction commits, so a rolled-back publish never holds its key.
    publishKeyedInTx: `WITH ${keyedInsert(s)}`,

    // $1 batch size: lapsed idempotency keys, a bounded batch per trim.
    dropKeys: `DELETE FROM ${s}.idempotency_keys WHERE key IN (SELECT key FROM ${s}.idempotency_keys WHERE until < ${NOW} LIMIT $1)`,

    // $1 topic: its mark row, if it has none.
    mark: `INSERT INTO ${s}.topics (topic, lost) SELECT $1, forgot FROM ${s}.meta ON CONFLICT (topic) DO NOTHING`,

    // $1 topics, $2 their retention counts, $3 after seq, $4 up to seq, $5 page size. One snapshot:
    // the epoch, the last seq issued, the topics that lost events after $3 (loss mark above it, an
    // expired row above it, or a row above it older than the newest `count` of its topic), and up
    // to $5 retained events after $3 on those topics, in seq order.
    read: `WITH w AS (SELECT * FROM unnest($1::text[], $2::int[]) AS w(topic, keep)),
now AS (SELECT ${NOW} AS ms),
fl AS (
  SELECT w.topic, (SELECT e.seq FROM ${s}.events e WHERE e.topic = w.topic ORDER BY e.seq DESC OFFSET w.keep - 1 LIMIT 1) AS f
  FROM w
),
info AS (
  SELECT fl.topic, fl.f,
    coalesce(t.lost, (SELECT forgot FROM ${s}.meta)) > $3
    OR EXISTS (SELECT 1 FROM ${s}.events e, now WHERE e.topic = fl.topic AND e.seq > $3
      AND (e.seq < fl.f OR e.expires <= now.ms)) AS lost
  FROM fl LEFT JOIN ${s}.topics t ON t.topic = fl.topic
),
page AS (
  SELECT e.seq, e.topic, e.event, e.data, e.time FROM ${s}.events e JOIN info ON e.topic = info.topic, now
  WHERE e.seq > $3 AND e.seq <= $4 AND (info.f IS NULL OR e.seq >= info.f) AND e.expires > now.ms
  ORDER BY e.seq LIMIT $5
)
SELECT (SELECT epoch FROM ${s}.meta) AS epoch,
  ${issued(s)}::text AS issued,
  (SELECT coalesce(array_agg(topic), '{}') FROM info WHERE lost) AS lost,
  (SELECT coalesce(array_agg(seq::text ORDER BY seq), '{}') FROM page) AS seqs,
  (SELECT coalesce(array_agg(topic ORDER BY seq), '{}') FROM page) AS topics,
  (SELECT coalesce(array_agg(event ORDER BY seq), '{}') FROM page) AS events,
  (SELECT coalesce(array_agg(data ORDER BY seq), '{}') FROM page) AS datas,
  (SELECT coalesce(array_agg(time::text ORDER BY seq), '{}') FROM page) AS times`,

    // $1 this node's head. The epoch, the last seq issued, and, only when that is ahead of the
    // head, the transactions that took seqs and are still open. `nextval` takes RowExclusiveLock on
    // the sequence before it hands out a seq and holds it until the transaction ends, and the seq is
    // read before the locks are: so every seq up to `issued` is final once all of those are gone.
    // The sequence's lock, not the table's: a trim deletes from the table but takes no seq, and
    // must not hold delivery back.
    round: `SELECT (SELECT epoch FROM ${s}.meta) AS epoch, s.issued::text AS issued,
  (SELECT coalesce(array_agg(l.virtualtransaction), '{}') FROM pg_locks l
    WHERE s.issued > $1 AND l.locktype = 'relation' AND l.relation = '${s}.events_seq_seq'::regclass
      AND l.mode = 'RowExclusiveLock' AND l.granted AND l.pid <> pg_backend_pid()) AS writers
FROM (SELECT ${issued(s)} AS issued OFFSET 0) s`,

    // $1 after seq, $2 up to seq, $3 page size: every event in that range, and whether a loss mark
    // falls in it (a row trimmed before this node delivered it).
    rows: `SELECT e.seq::text AS seq, e.topic, e.event, e.data, e.time::text AS time,
  EXISTS (SELECT 1 FROM ${s}.topics t WHERE t.lost > $1 AND t.lost <= $2) AS trimmed
FROM (SELECT 1) one LEFT JOIN LATERAL (
  SELECT * FROM ${s}.events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3
) e ON true`,

    // $1 batch size. Drops expired rows, oldest first, recording each topic's newest drop.
    trimAge: `WITH gone AS (
  DELETE FROM ${s}.events WHERE seq IN (
    SELECT seq FROM ${s}.events WHERE expires < ${NOW} ORDER BY expires LIMIT $1
  ) RETURNING topic, seq
)
${upsertMarks(s)}`,

    // $1 topics, $2 their counts, $3 grace ms, $4 batch size. Drops rows beyond each topic's newest
    // `count` once older than the grace (so a node a moment behind still delivers them live).
    trimCount: `WITH w AS (SELECT * FROM unnest($1::text[], $2::int[]) AS w(topic, keep)),
cut AS (
  SELECT w.topic, (SELECT e.seq FROM ${s}.events e WHERE e.topic = w.topic ORDER BY e.seq DESC OFFSET w.keep LIMIT 1) AS upto
  FROM w
),
doomed AS (
  SELECT e.seq FROM ${s}.events e JOIN cut ON e.topic = cut.topic
  WHERE e.seq <= cut.upto AND e.time < ${NOW} - $3 LIMIT $4
),
gone AS (DELETE FROM ${s}.events e USING doomed WHERE e.seq = doomed.seq RETURNING e.topic, e.seq)
${upsertMarks(s)}`,

    // $1 batch size. Drops the rows of topics with no events left, folding their marks into `forgot`.
    forget: `WITH idle AS (
  SELECT t.topic FROM ${s}.topics t
  WHERE NOT EXISTS (SELECT 1 FROM ${s}.events e WHERE e.topic = t.topic)
  LIMIT $1 FOR UPDATE SKIP LOCKED
), gone AS (DELETE FROM ${s}.topics t USING idle WHERE t.topic = idle.topic RETURNING t.lost)
UPDATE ${s}.meta SET forgot = GREATEST(forgot, (SELECT coalesce(max(lost), 0) FROM gone))`,

    // $1 the epoch in place, $2 a new one: after the sequence went back (a restore from backup).
    renewEpoch: `UPDATE ${s}.meta SET epoch = $2 WHERE epoch = $1`,
  };
}
