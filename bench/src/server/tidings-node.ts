// tidings on a bare node:http server: `serve(hub)` from @tidings/node. With the argument `hooks`,
// every hook is set (each counts, as a cheap real hook would); with `rooms`, every client is a
// user of its own (`?user=`); with `presence`, the same, and topics `room-*` keep presence; with
// `batch`, live events are delivered in batches of 1 ms (`batchWindowMs`); with `metrics`, the hub
// reports to a real OpenTelemetry SDK meter (one reader, exporting once a minute to memory); with
// `conflate`, the benchmark's topic is a conflated one.
import type { AddressInfo } from 'node:net';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { createHub, type HubOptions } from '@tidings/core';
import { serve } from '@tidings/node';
import { TOPIC } from '../payload.ts';
import { runTargetServer } from './harness.ts';
import { benchHubOptions } from './tidings-options.ts';

function optionsFor(args: string[]): HubOptions {
  if (args.includes('presence') || args.includes('rooms')) {
    const { anonymous: _anonymous, ...rest } = benchHubOptions;
    const users: HubOptions = {
      ...rest,
      authenticate: (request) => ({ id: new URL(request.url).searchParams.get('user') ?? undefined }),
    };
    return args.includes('presence') ? { ...users, presence: (topic) => topic.startsWith('room-') } : users;
  }
  if (args.includes('hooks')) {
    const counts = { connect: 0, disconnect: 0, subscribe: 0, unsubscribe: 0, reset: 0 };
    return {
      ...benchHubOptions,
      onConnect: () => counts.connect++,
      onDisconnect: () => counts.disconnect++,
      onSubscribe: () => counts.subscribe++,
      onUnsubscribe: () => counts.unsubscribe++,
      onReset: () => counts.reset++,
    };
  }
  if (args.includes('batch')) return { ...benchHubOptions, batchWindowMs: 1 };
  if (args.includes('metrics')) {
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 60_000,
    });
    const provider = new MeterProvider({ readers: [reader] });
    return { ...benchHubOptions, meter: provider.getMeter('tidings') };
  }
  if (args.includes('conflate')) return { ...benchHubOptions, conflateTopics: [TOPIC] };
  return benchHubOptions;
}

await runTargetServer(async (args) => {
  const hub = createHub(optionsFor(args));
  const served = await serve(hub, { port: 0, host: '127.0.0.1' });
  return {
    port: (served.server.address() as AddressInfo).port,
    broadcast(data) {
      hub.publish(TOPIC, data).catch((error: Error) => console.error(error));
    },
    connections: () => hub.stats().connections.total,
  };
});
