/** A parsed event id: the epoch of the log that issued it and its sequence number within that epoch. */
export interface EventPosition {
  epoch: string;
  seq: number;
}

const ID = /^([a-z0-9]{1,32})-(0|[1-9][0-9]{0,15})$/;

/** Formats an event id. Ids are opaque to clients; inside tidings they are `<epoch>-<seq>`. */
export function formatEventId(epoch: string, seq: number): string {
  return `${epoch}-${seq}`;
}

/** Parses an event id or cursor; returns undefined when it is malformed. */
export function parseEventId(value: string): EventPosition | undefined {
  const match = ID.exec(value);
  if (!match) return undefined;
  const seq = Number(match[2]);
  return Number.isSafeInteger(seq) ? { epoch: match[1]!, seq } : undefined;
}

/** A fresh random epoch: a new one each time a log starts, so cursors from an earlier life are recognised. */
export function createEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  let out = '';
  for (const b of bytes) out += b.toString(36).padStart(2, '0');
  return out;
}
