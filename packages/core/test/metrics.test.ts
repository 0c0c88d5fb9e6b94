import { metrics as otel } from '@opentelemetry/api';
import { type DataPoint, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker } from '../src/broker-api.ts';
import { createMemoryBroker, type HubMeter } from '../src/index.ts';
import { call, flush, makeHub, openWs } from './support/harness.ts';
import { readSse } from './support/sse-reader.ts';

/** A reader the test collects from by hand, as a Prometheus scrape would. */
class ScrapeReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

const providers: MeterProvider[] = [];
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.shutdown();
});

function meterWithReader(): { meter: HubMeter; scrape(): Promise<Map<string, DataPoint<unknown>[]>> } {
  const reader = new ScrapeReader();
  const provider = new MeterProvider({ readers: [reader] });
  providers.push(provider);
  return {
    // The real OpenTelemetry Meter, passed where the hub takes its structural HubMeter.
    meter: provider.getMeter('tidings'),
    async scrape() {
      const { resourceMetrics } = await reader.collect();
      const found = new Map<string, DataPoint<unknown>[]>();
      for (const scope of resourceMetrics.scopeMetrics)
        for (const metric of scope.metrics)
          found.set(metric.descriptor.name, metric.dataPoints as DataPoint<unknown>[]);
      return found;
    },
  };
}

function pointValue(points: DataPoint<unknown>[] | undefined, labels: Record<string, string>): unknown {
  const point = points?.find((p) => Object.entries(labels).every(([k, v]) => p.attributes[k] === v));
  return point?.value;
}

describe('metrics through an OpenTelemetry meter', () => {
  it('reports connections, subscriptions, deliveries, bytes, disconnections, resets and latency', async () => {
    const { meter, scrape } = meterWithReader();
    const hub = makeHub({
      authenticate: (req) => ({ id: new URL(req.url).searchParams.get('user') ?? 'x' }),
      meter,
      presence: (topic) => topic === 'a',
    });
    const node = hub.nodeId;
    const ws = await openWs(hub, '?topics=a,b&user=ann');
    const sse = readSse(await call(hub, 'sse?topics=a&user=bob'));
    await hub.publish('a', { n: 1 });
    await flush();
    await call(hub, 'poll?topics=a&cursor=zzz-1');
    ws.handlers!.closed();
    await hub.disconnect({ userId: 'bob' });
    await flush();

    const m = await scrape();
    expect(pointValue(m.get('tidings_connections'), { node, transport: 'ws' })).toBe(0);
    expect(pointValue(m.get('tidings_published'), { node })).toBe(3); // the event and two joins
    const wsFrame = ws.frames.find((f) => f.includes('"n":1'))!;
    expect(pointValue(m.get('tidings_deliveries'), { node, transport: 'ws' })).toBe(3);
    expect(pointValue(m.get('tidings_deliveries'), { node, transport: 'sse' })).toBeGreaterThanOrEqual(2);
    expect(pointValue(m.get('tidings_delivered_bytes'), { node, transport: 'ws' })).toBeGreaterThan(
      wsFrame.length,
    );
    expect(pointValue(m.get('tidings_disconnections'), { node, transport: 'ws', reason: 'client' })).toBe(1);
    expect(pointValue(m.get('tidings_disconnections'), { node, transport: 'sse', reason: 'kicked' })).toBe(1);
    expect(pointValue(m.get('tidings_resets'), { node, transport: 'poll', kind: 'all' })).toBe(1);
    expect(pointValue(m.get('tidings_presence_events'), { node, action: 'join' })).toBe(2);
    const latency = pointValue(m.get('tidings_publish_to_deliver_seconds'), { node }) as { count: number };
    expect(latency.count).toBe(3);
    expect(sse.done).toBe(true);

    const live = await openWs(hub, '?topics=a,b,c&user=carl');
    const again = await scrape();
    expect(pointValue(again.get('tidings_connections'), { node, transport: 'ws' })).toBe(1);
    expect(pointValue(again.get('tidings_subscriptions'), { node })).toBe(3);
    expect(pointValue(again.get('tidings_topics'), { node })).toBe(3);
    live.handlers!.closed();
  });

  it('counts the broker calls that failed (tidings_broker_errors), and only those', async () => {
    const { meter, scrape } = meterWithReader();
    const inner = createMemoryBroker();
    let down = false;
    const broker: Broker = {
      ...inner,
      publish: (input) => (down ? Promise.reject(new Error('broker down')) : inner.publish(input)),
    };
    const reported: unknown[] = [];
    const hub = makeHub({
      anonymous: true,
      authorize: () => true,
      meter,
      broker,
      onError: (_error, info) => reported.push(info),
    });
    const node = hub.nodeId;
    await hub.publish('a', 1);
    expect(pointValue((await scrape()).get('tidings_broker_errors'), { node })).toBe(0);

    down = true;
    await expect(hub.publish('a', 2)).rejects.toMatchObject({ code: 'unavailable' });
    const refused = await call(hub, 'publish', { method: 'POST', body: '{"topic":"a","data":3}' });
    expect(refused.status).toBe(503);
    down = false;
    await hub.publish('a', 4);

    const m = await scrape();
    expect(pointValue(m.get('tidings_broker_errors'), { node })).toBe(2);
    expect(pointValue(m.get('tidings_published'), { node })).toBe(2);
    expect(reported).toEqual([{ stage: 'broker' }, { stage: 'broker', route: 'publish' }]);
  });

  it('labels each hub of one process by its node', async () => {
    const { meter, scrape } = meterWithReader();
    const broker = createMemoryBroker();
    const a = makeHub({ anonymous: true, meter, broker });
    const b = makeHub({ anonymous: true, meter, broker });
    await openWs(b, '?topics=x');
    const m = await scrape();
    expect(pointValue(m.get('tidings_connections'), { node: a.nodeId, transport: 'ws' })).toBe(0);
    expect(pointValue(m.get('tidings_connections'), { node: b.nodeId, transport: 'ws' })).toBe(1);
  });

  it('a closed hub takes back every callback it gave the meter', async () => {
    const live = new Set<unknown>();
    const instrument = {
      addCallback: (callback: unknown) => live.add(callback),
      removeCallback: (callback: unknown) => live.delete(callback),
    };
    const meter: HubMeter = {
      createObservableCounter: () => instrument,
      createObservableUpDownCounter: () => instrument,
      createHistogram: () => ({ record() {} }),
    };
    const hub = makeHub({ anonymous: true, meter });
    expect(live.size).toBeGreaterThan(5);
    await hub.close();
    expect(live.size).toBe(0);
  });

  it('a meter from the global API without a provider is a no-op, and anything else is refused', async () => {
    const hub = makeHub({ anonymous: true, meter: otel.getMeter('tidings') });
    const socket = await openWs(hub, '?topics=x');
    await hub.publish('x', 1);
    expect(socket.ofType('event')).toHaveLength(1);
    expect(() => makeHub({ anonymous: true, meter: {} as never })).toThrow(TypeError);
  });
});
