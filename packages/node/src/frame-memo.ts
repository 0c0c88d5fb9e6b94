import type { EventRecord } from '@tidings/core/adapter';

/**
 * One wire form of each event, built once and shared by every subscriber: memoized on the record
 * (`record.frames`, under `key`), with the last record asked for checked first, because a broadcast
 * asks for the same record once per subscriber and that check spares a Map lookup per delivery.
 */
export function frameMemo(
  key: symbol,
  build: (record: EventRecord) => Buffer,
): (record: EventRecord) => Buffer {
  let lastRecord: EventRecord | undefined;
  let lastFrame: Buffer | undefined;
  return (record) => {
    if (record === lastRecord) return lastFrame!;
    let frame = record.frames.get(key) as Buffer | undefined;
    if (!frame) {
      frame = build(record);
      record.frames.set(key, frame);
    }
    lastRecord = record;
    lastFrame = frame;
    return frame;
  };
}
