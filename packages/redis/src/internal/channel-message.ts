import { EventRecord, formatEventId } from '@tidings/core/broker';

/** One live event as the publish script announces it on the channel. */
export interface ChannelMessage {
  epoch: string;
  seq: number;
  time: number;
  topic: string;
  event: string;
  data: string;
}

/**
 * Parses `epoch\nseq\ntime\ntopic\nevent\ndata`. Epochs, numbers, topics and event names never hold
 * a newline, and the data is the rest of the text, so no escaping is needed and the data (already
 * JSON text) is never parsed. Returns undefined for anything else.
 */
export function decodeChannelMessage(text: string): ChannelMessage | undefined {
  const a = text.indexOf('\n');
  const b = text.indexOf('\n', a + 1);
  const c = text.indexOf('\n', b + 1);
  const d = text.indexOf('\n', c + 1);
  const e = text.indexOf('\n', d + 1);
  if (a < 1 || e === -1) return undefined;
  const seq = Number(text.slice(a + 1, b));
  const time = Number(text.slice(b + 1, c));
  if (!Number.isSafeInteger(seq) || seq < 1 || !Number.isFinite(time)) return undefined;
  return {
    epoch: text.slice(0, a),
    seq,
    time,
    topic: text.slice(c + 1, d),
    event: text.slice(d + 1, e),
    data: text.slice(e + 1),
  };
}

/** The core's record for a channel message. */
export function toEventRecord(epoch: string, message: ChannelMessage): EventRecord {
  const { seq } = message;
  return new EventRecord(
    seq,
    formatEventId(epoch, seq),
    message.topic,
    message.event,
    message.data,
    message.time,
  );
}
