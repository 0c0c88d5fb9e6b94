/**
 * The part of an OpenTelemetry `Meter` (`@opentelemetry/api`) the hub uses, declared by shape so
 * that core depends on no package: pass `metrics.getMeter('tidings')` and it fits.
 */
export interface HubMeter {
  createObservableCounter(name: string, options?: InstrumentOptions): ObservableInstrument;
  createObservableUpDownCounter(name: string, options?: InstrumentOptions): ObservableInstrument;
  createHistogram(
    name: string,
    options?: InstrumentOptions & { advice?: { explicitBucketBoundaries?: number[] } },
  ): { record(value: number, attributes?: MetricLabels): void };
}

/** Attributes of a measurement (Prometheus labels). */
export type MetricLabels = Record<string, string>;

/** Options of an instrument. */
export interface InstrumentOptions {
  description?: string;
  unit?: string;
}

/** An asynchronous instrument: read when the metrics are collected, never on the hot path. */
export interface ObservableInstrument {
  addCallback(callback: (result: ObservedValues) => void): void;
  removeCallback(callback: (result: ObservedValues) => void): void;
}

/** Where an observable instrument's callback reports its values. */
export interface ObservedValues {
  observe(value: number, attributes?: MetricLabels): void;
}
