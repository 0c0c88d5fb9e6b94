// Every target carries the payload `{"s":<seq>,"t":<µs>,…}` somewhere inside its own framing
// (tidings envelope, Socket.IO array, SSE data line). Scanning the bytes for the two keys costs a
// native indexOf and a few digits, far less than parsing each message as JSON, so the load
// generator's own cost stays the same whatever the target wraps the payload in.
const S_KEY = Buffer.from('"s":');
const T_KEY = Buffer.from(',"t":');

/** Sequence number and publish time read from one message. */
export interface Stamp {
  seq: number;
  timeUs: number;
}

function digitsAt(bytes: Uint8Array, at: number, end: number): number {
  let value = 0;
  let i = at;
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
  }
  return i === at ? -1 : value;
}

/**
 * Reads the stamp of a message held in `bytes[start, end)` into `out`. Returns false for messages
 * that carry none (welcome frames, pings, control packets).
 */
export function readStamp(bytes: Buffer, out: Stamp, start = 0, end = bytes.length): boolean {
  const s = bytes.indexOf(S_KEY, start);
  if (s < 0 || s >= end) return false;
  const seq = digitsAt(bytes, s + 4, end);
  if (seq < 0) return false;
  const t = bytes.indexOf(T_KEY, s + 4);
  if (t < 0 || t >= end) return false;
  const timeUs = digitsAt(bytes, t + 5, end);
  if (timeUs < 0) return false;
  out.seq = seq;
  out.timeUs = timeUs;
  return true;
}

/** The same for a message already held as a string (engine.io polling packets). */
export function readStampText(text: string, out: Stamp, start = 0): boolean {
  const s = text.indexOf('"s":', start);
  if (s < 0) return false;
  const t = text.indexOf(',"t":', s);
  if (t < 0) return false;
  const seq = Number.parseInt(text.slice(s + 4, t), 10);
  const timeUs = Number.parseInt(text.slice(t + 5, t + 25), 10);
  if (!Number.isFinite(seq) || !Number.isFinite(timeUs)) return false;
  out.seq = seq;
  out.timeUs = timeUs;
  return true;
}
