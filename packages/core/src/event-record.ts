import { encodeEnvelope, toEventMessage } from './protocol/codec.ts';
import { sseEventFrame } from './protocol/sse.ts';

const encoder = new TextEncoder();

/**
 * One published event as the log stores it. Every wire form is computed at most once, on first
 * use, and then shared by all subscribers: the envelope JSON, the WebSocket text, the SSE frame
 * and its bytes. Transports may memoize their own framing in `frames` (for example a pre-framed
 * WebSocket buffer on Node), keyed by a symbol of their own.
 */
export class EventRecord {
  readonly seq: number;
  readonly id: string;
  readonly topic: string;
  readonly event: string;
  /** The data, already serialised as JSON text. */
  readonly data: string;
  /** Publish time, ms since the epoch; used for age-based retention. */
  readonly time: number;
  /** Per-transport memo of this event's framing. */
  readonly frames: Map<symbol, unknown> = new Map();
  #envelope: string | undefined;
  #wsText: string | undefined;
  #sseText: string | undefined;
  #sseBytes: Uint8Array | undefined;

  constructor(seq: number, id: string, topic: string, event: string, data: string, time: number) {
    this.seq = seq;
    this.id = id;
    this.topic = topic;
    this.event = event;
    this.data = data;
    this.time = time;
  }

  /** `{"id","topic","event","data"}` as JSON text. */
  get envelope(): string {
    this.#envelope ??= encodeEnvelope(this.id, this.topic, this.event, this.data);
    return this.#envelope;
  }

  /** The WebSocket `{"type":"event",…}` text. */
  get wsText(): string {
    this.#wsText ??= toEventMessage(this.envelope);
    return this.#wsText;
  }

  /** The SSE frame, as text. */
  get sseText(): string {
    this.#sseText ??= sseEventFrame(this.id, this.event, this.envelope);
    return this.#sseText;
  }

  /** The SSE frame, UTF-8 encoded. */
  get sseBytes(): Uint8Array {
    this.#sseBytes ??= encoder.encode(this.sseText);
    return this.#sseBytes;
  }
}
