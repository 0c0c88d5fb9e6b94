import type { IncomingMessage, ServerResponse } from 'node:http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { HubMeter } from '@tidings/core';

/** The app's metrics: a meter for the hub, and the Prometheus text of everything it reports. */
export interface Metrics {
  /** Pass to `createHub({ meter })`. */
  meter: HubMeter;
  /** Answers a scrape (`GET /metrics`) with the Prometheus text format. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry's SDK with its Prometheus exporter as the reader. The exporter would start a server
 * of its own on port 9464; here it answers on the app's `/metrics` route instead.
 */
export function createMetrics(): Metrics {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  return {
    meter: provider.getMeter('tidings'),
    handle: (req, res) => exporter.getMetricsRequestHandler(req, res),
    shutdown: () => provider.shutdown(),
  };
}
