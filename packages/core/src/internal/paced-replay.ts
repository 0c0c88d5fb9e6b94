/**
 * A replay is written as fast as the reader takes it, not all at once: a client resuming a backlog
 * larger than `maxBufferedBytes` is healthy as long as it reads. History goes out while under half
 * of `maxBufferedBytes` is queued; above that the replay waits until under a quarter is. A reader
 * that does not get there within the transport's heartbeat interval has stalled, and is cut as a
 * slow consumer (once).
 */
import type { EventRecord } from '../event-record.ts';
import type { ResolvedOptions } from '../options.ts';
import type { Connection } from './connection.ts';

/** The options that pace a replay. */
export type PaceOptions = Pick<ResolvedOptions, 'maxBufferedBytes' | 'heartbeatMs' | 'sseHeartbeatMs'>;

// Where the transport cannot say when its queue drains, the queue is looked at again after this long.
const RECHECK_MS = 10;

/** A connection's marks, in bytes, and how long it may take to get under the low one, in ms. */
interface Pace {
  highWater: number;
  lowWater: number;
  stallMs: number;
}

function paceOf(connection: Connection, options: PaceOptions): Pace {
  return {
    highWater: options.maxBufferedBytes / 2,
    lowWater: options.maxBufferedBytes / 4,
    stallMs: connection.transport === 'sse' ? options.sseHeartbeatMs : options.heartbeatMs,
  };
}

function sleep(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** Waits until at most `lowWater` bytes are queued; false when the reader stalled for `stallMs`. */
async function drained(connection: Connection, pace: Pace): Promise<boolean> {
  const deadline = Date.now() + pace.stallMs;
  let before = Number.POSITIVE_INFINITY;
  for (let queued = connection.bufferedAmount(); queued > pace.lowWater && !connection.closed; ) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    // A drain that moved nothing (a port that answers at once, say, for a socket already gone)
    // must not make this a loop of microtasks: then the queue is looked at again after a pause.
    const drain = queued < before ? connection.waitForDrain() : undefined;
    before = queued;
    const timer = sleep(drain ? left : Math.min(left, RECHECK_MS));
    await (drain ? Promise.race([drain, timer.promise]) : timer.promise);
    timer.cancel();
    queued = connection.bufferedAmount();
  }
  return true;
}

/**
 * Waits for room before the next write, the queue being over the high-water mark. False when the
 * connection can take no more: it closed meanwhile, or it stalled and was cut.
 */
async function makeRoom(connection: Connection, pace: Pace): Promise<boolean> {
  if (!(await drained(connection, pace))) connection.dropSlow();
  return !connection.closed;
}

/**
 * Writes replayed `records` (see `Connection.replay`; `older` for topics the connection only now
 * subscribed to) at the pace the reader takes them. Live events keep waiting in `pending`. Those in
 * `flagged` stand for older events of a conflated topic and go out with `"conflated": true`.
 */
export async function pacedReplay(
  connection: Connection,
  records: readonly EventRecord[],
  older: boolean,
  options: PaceOptions,
  flagged?: ReadonlySet<EventRecord>,
): Promise<void> {
  const pace = paceOf(connection, options);
  connection.pacing = true;
  try {
    for (const record of records) {
      if (connection.closed) return;
      // Only a full queue costs an await: a replay that fits is written in one go, as before.
      if (connection.bufferedAmount() > pace.highWater && !(await makeRoom(connection, pace))) return;
      if (flagged?.has(record)) connection.replayConflated(record, older);
      else connection.replay(record, older);
    }
  } finally {
    connection.pacing = false;
  }
}

/**
 * Ends a replay: the live events that waited in `pending` go out at the same pace (more may land
 * there meanwhile, in order), then the connection goes live. Without this, a long replay under a
 * busy topic would hand the live rule one large burst.
 */
export function pacedGoLive(connection: Connection, options: PaceOptions): Promise<void> | undefined {
  const pending = connection.pending;
  if (!pending || pending.length === 0 || connection.closed) {
    // The usual case, with nothing to pace: no promise per connection.
    connection.goLive();
    return undefined;
  }
  return paceThenGoLive(connection, pending, options);
}

async function paceThenGoLive(
  connection: Connection,
  pending: EventRecord[],
  options: PaceOptions,
): Promise<void> {
  const pace = paceOf(connection, options);
  connection.pacing = true;
  try {
    let sent = 0;
    while (sent < pending.length && !connection.closed) {
      if (connection.bufferedAmount() > pace.highWater && !(await makeRoom(connection, pace))) break;
      connection.deliver(pending[sent++]!);
    }
    pending.splice(0, sent);
  } finally {
    connection.pacing = false;
  }
  connection.goLive();
}
