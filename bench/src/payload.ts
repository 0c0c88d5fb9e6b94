/** The topic every target publishes on. */
export const TOPIC = 'bench';

/** Size of each event's data as JSON text, in bytes (issue 5: 200-byte events). */
export const PAYLOAD_BYTES = 200;

/** The data of one benchmark event: sequence number, publish time and padding. */
export interface BenchData {
  /** Sequence number, 1-based, per server run. */
  s: number;
  /** Publish time in µs on the shared monotonic clock (see `nowUs`). */
  t: number;
  /** Padding up to PAYLOAD_BYTES. */
  p: string;
}

// performance.now() and process.hrtime() read the same CLOCK_MONOTONIC, which every process on the
// machine shares; this offset turns the cheap performance.now() into a cross-process timestamp.
// Read both clocks back to back a few times and keep the tightest pair: a process descheduled
// between the two reads (a loaded machine) would otherwise skew every timestamp it makes.
function clockOffsetUs(): number {
  let best = Number.POSITIVE_INFINITY;
  let offset = 0;
  for (let i = 0; i < 20; i++) {
    const before = performance.now();
    const hr = Number(process.hrtime.bigint() / 1000n);
    const after = performance.now();
    if (after - before < best) {
      best = after - before;
      offset = hr - ((before + after) / 2) * 1000;
    }
  }
  return offset;
}
const originUs = clockOffsetUs();

/** Microseconds on CLOCK_MONOTONIC: comparable between the server and load generator processes. */
export function nowUs(): number {
  return Math.round(originUs + performance.now() * 1000);
}

const padding = new Map<number, string>();

/** One event's data, exactly PAYLOAD_BYTES long once serialised with JSON.stringify. */
export function createPayload(seq: number, timeUs: number = nowUs()): BenchData {
  const bare = 18 + String(seq).length + String(timeUs).length; // {"s":,"t":,"p":""}
  const fill = Math.max(0, PAYLOAD_BYTES - bare);
  let p = padding.get(fill);
  if (p === undefined) {
    p = 'x'.repeat(fill);
    padding.set(fill, p);
  }
  return { s: seq, t: timeUs, p };
}

/** The envelope the hand-written targets send: the same fields tidings puts on the wire. */
export interface BenchEnvelope {
  id: string;
  topic: string;
  data: BenchData;
}

/** Wraps data the way every non-tidings target sends it, so all carry about the same bytes. */
export function toEnvelope(seq: number, data: BenchData): BenchEnvelope {
  return { id: String(seq), topic: TOPIC, data };
}
