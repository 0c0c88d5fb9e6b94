import type { EventRecord } from '../event-record.ts';
import type { HubMeter, ObservableInstrument, ObservedValues } from '../meter.ts';
import type { Transport } from './connection.ts';

/** What the metrics read when they are collected. */
export interface MetricSource {
  readonly nodeId: string;
  /** Open connections by transport. */
  connections(): Record<Transport, number>;
  /** Connection–topic pairs, and topics with at least one subscriber. */
  subscriptions(): { subscriptions: number; topics: number };
  published(): number;
}

const encoder = new TextEncoder();
const BYTES = Symbol('tidings.metrics.bytes');
// Latency buckets in seconds, from a loopback delivery to a stalled broker.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** UTF-8 size of the event on one transport, computed once per event and transport. */
function bytesOf(record: EventRecord, transport: Transport): number {
  let sizes = record.frames.get(BYTES) as Partial<Record<Transport, number>> | undefined;
  if (!sizes) {
    sizes = {};
    record.frames.set(BYTES, sizes);
  }
  let size = sizes[transport];
  if (size === undefined) {
    const text = transport === 'ws' ? record.wsText : transport === 'sse' ? record.sseText : record.envelope;
    size = encoder.encode(text).byteLength;
    sizes[transport] = size;
  }
  return size;
}

/**
 * The hub's OpenTelemetry instruments. Counts are kept here as plain numbers and read by observable
 * instruments when the metrics are collected, so a delivery costs an addition, not a call into the
 * SDK; only the publish-to-delivery latency is a histogram, recorded once per event per node (when
 * it is fanned out), not per delivery. Names follow Prometheus conventions: the exporter adds
 * `_total` to counters.
 */
export class HubMetrics {
  readonly #node: { node: string };
  readonly #observed: [ObservableInstrument, (result: ObservedValues) => void][] = [];
  readonly #latency: { record(value: number, attributes?: Record<string, string>): void };
  readonly #deliveries: Record<Transport, number> = { ws: 0, sse: 0, 'long-poll': 0 };
  readonly #bytes: Record<Transport, number> = { ws: 0, sse: 0, 'long-poll': 0 };
  readonly #disconnections = new Map<string, { transport: string; reason: string; count: number }>();
  readonly #resets = new Map<string, { transport: string; kind: string; count: number }>();
  readonly #presence = { join: 0, leave: 0 };
  #brokerErrors = 0;

  constructor(meter: HubMeter, source: MetricSource) {
    this.#node = { node: source.nodeId };
    const node = this.#node;
    const observe = (instrument: ObservableInstrument, callback: (result: ObservedValues) => void): void => {
      instrument.addCallback(callback);
      this.#observed.push([instrument, callback]);
    };
    const perTransport = (values: Record<Transport, number>) => (result: ObservedValues) => {
      for (const [transport, value] of Object.entries(values)) result.observe(value, { ...node, transport });
    };
    observe(
      meter.createObservableUpDownCounter('tidings_connections', {
        description: 'Open connections (a waiting long poll counts), by transport',
      }),
      (result) => perTransport(source.connections())(result),
    );
    observe(
      meter.createObservableUpDownCounter('tidings_subscriptions', {
        description: 'Subscriptions of open connections (one connection on three topics counts three)',
      }),
      (result) => result.observe(source.subscriptions().subscriptions, node),
    );
    observe(
      meter.createObservableUpDownCounter('tidings_topics', {
        description: 'Topics with at least one subscriber on this node',
      }),
      (result) => result.observe(source.subscriptions().topics, node),
    );
    observe(
      meter.createObservableCounter('tidings_published', {
        description: 'Events published through this node',
      }),
      (result) => result.observe(source.published(), node),
    );
    observe(
      meter.createObservableCounter('tidings_deliveries', {
        description: 'Events delivered to connections, by transport',
      }),
      perTransport(this.#deliveries),
    );
    observe(
      meter.createObservableCounter('tidings_delivered_bytes', {
        description: 'Bytes of the events delivered to connections (UTF-8, framing included), by transport',
      }),
      perTransport(this.#bytes),
    );
    observe(
      meter.createObservableCounter('tidings_disconnections', {
        description:
          'Connections ended, by transport and reason (slow_consumer, heartbeat_timeout, kicked, client…)',
      }),
      (result) => {
        for (const { transport, reason, count } of this.#disconnections.values())
          result.observe(count, { ...node, transport, reason });
      },
    );
    observe(
      meter.createObservableCounter('tidings_resets', {
        description: 'Resets sent, by transport and kind (all, topics)',
      }),
      (result) => {
        for (const { transport, kind, count } of this.#resets.values())
          result.observe(count, { ...node, transport, kind });
      },
    );
    observe(
      meter.createObservableCounter('tidings_presence_events', {
        description: 'Presence joins and leaves this node published',
      }),
      (result) => {
        result.observe(this.#presence.join, { ...node, action: 'join' });
        result.observe(this.#presence.leave, { ...node, action: 'leave' });
      },
    );
    observe(
      meter.createObservableCounter('tidings_broker_errors', {
        description: 'Broker and cluster calls that failed',
      }),
      (result) => result.observe(this.#brokerErrors, node),
    );
    this.#latency = meter.createHistogram('tidings_publish_to_deliver_seconds', {
      description: 'From the publish (the broker clock) to the start of fan-out on this node',
      unit: 's',
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS },
    });
  }

  delivered(transport: Transport, record: EventRecord): void {
    this.#deliveries[transport]++;
    this.#bytes[transport] += bytesOf(record, transport);
  }

  fanOut(record: EventRecord): void {
    this.#latency.record(Math.max(0, Date.now() - record.time) / 1000, this.#node);
  }

  disconnected(transport: Transport, reason: string): void {
    const key = `${transport}\0${reason}`;
    const entry = this.#disconnections.get(key);
    if (entry) entry.count++;
    else this.#disconnections.set(key, { transport, reason, count: 1 });
  }

  reset(transport: string, topics: readonly string[] | undefined): void {
    const kind = topics ? 'topics' : 'all';
    const key = `${transport}\0${kind}`;
    const entry = this.#resets.get(key);
    if (entry) entry.count++;
    else this.#resets.set(key, { transport, kind, count: 1 });
  }

  presence(action: 'join' | 'leave'): void {
    this.#presence[action]++;
  }

  brokerError(): void {
    this.#brokerErrors++;
  }

  /** Stops reporting (the hub closed): the instruments no longer read this hub. */
  close(): void {
    for (const [instrument, callback] of this.#observed.splice(0)) instrument.removeCallback(callback);
  }
}
