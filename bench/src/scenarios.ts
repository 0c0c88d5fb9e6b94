import { type Transport, tidingsTargets } from './targets.ts';

const REF_TARGETS = process.env.TIDINGS_REF ? ['tidings-node-ref'] : [];

/**
 * How a scenario loads the server. `window`: publish as fast as the slowest client reads, at most
 * `window` events ahead of it (fan-out throughput). `rate`: publish at a fixed rate (latency, long
 * poll). `requests`: clients poll as fast as answers come while events trickle in. `idle`: open
 * connections and weigh the server.
 */
export type ScenarioMode = 'window' | 'rate' | 'requests' | 'idle';

/** Sizes of one scenario for one profile. */
export interface Sizes {
  clients: number;
  /** Publishing before the measured window, ms (idle: settle time before weighing). */
  warmupMs: number;
  /** The measured window, ms. */
  durationMs: number;
  /** Handshakes in flight while connecting. */
  connectConcurrency: number;
  /** rate and requests modes: events per second. */
  ratePerS?: number;
  /** window mode: events ahead of the slowest client. */
  window?: number;
  /** window mode: events per macrotask at most. */
  burst?: number;
}

/** A metric a goal is stated on. */
export type GoalMetric = 'unitsPerS' | 'usPerUnit' | 'p99Ms' | 'rssPerConnKB' | 'heapPerConnKB';

/**
 * A goal of issues 5 and 22: the median ratio to the baseline (or to `versus`) must be `>=` or `<=`
 * `ratio`, for every tidings target (or those in `only`, less those in `except`).
 */
export interface Goal {
  metric: GoalMetric;
  op: '>=' | '<=';
  ratio: number;
  /** The target the ratio is taken against. Default: the scenario's baseline. */
  versus?: string;
  only?: string[];
  except?: string[];
}

/** One scenario. */
export interface Scenario {
  id: string;
  title: string;
  transport: Transport;
  mode: ScenarioMode;
  /** The target every figure is divided by, in the same round. */
  baseline: string;
  /** Targets in the order of the first round (later rounds rotate it). */
  targets: string[];
  /** What a unit of work is: an event delivered to one client, or an answered request. */
  unit: 'delivery' | 'request';
  full: Sizes;
  smoke: Sizes;
  goals: Goal[];
  /** What the goals say, for the report. */
  goalText?: string;
  /** Starts what the scenario needs (Redis) before its rounds; its env goes to every server. */
  setup?: () => Promise<{ env: Record<string, string>; teardown(): Promise<void> }>;
}

const SMOKE_FANOUT: Sizes = {
  clients: 5,
  warmupMs: 50,
  durationMs: 200,
  connectConcurrency: 5,
  window: 8,
  burst: 4,
};
export const SMOKE_RATE: Sizes = {
  clients: 5,
  warmupMs: 100,
  durationMs: 250,
  connectConcurrency: 5,
  ratePerS: 50,
};
const SMOKE_IDLE: Sizes = { clients: 10, warmupMs: 50, durationMs: 0, connectConcurrency: 20 };

// Windows long enough to steady the figures against a busy machine's noise (2 s read 1.05–1.22×
// the same baseline on one day); the independent harness of issue 22 measures 10 s.
const FANOUT: Sizes = {
  clients: 1000,
  warmupMs: 1000,
  durationMs: 5000,
  connectConcurrency: 100,
  // 64 events of ~300 bytes: at most ~20 KB queued per client, far below any slow-consumer limit,
  // and short enough that one turn of the load generator's loop stays short.
  window: 64,
  burst: 16,
};
const IDLE: Sizes = { clients: 10_000, warmupMs: 500, durationMs: 0, connectConcurrency: 400 };
const LATENCY: Sizes = {
  clients: 100,
  warmupMs: 500,
  durationMs: 3000,
  connectConcurrency: 100,
  ratePerS: 100,
};

/**
 * tidings-node with presence or hooks on: in A and E only, the scenarios their cost shows in; and
 * tidings at a reference commit when TIDINGS_REF names one (what features left off cost).
 */
const OPERATOR_TARGETS = [
  'tidings-node-rooms',
  'tidings-node-presence',
  'tidings-node-hooks',
  ...REF_TARGETS,
];

/** tidings-node with metrics to a real OpenTelemetry SDK, or its topic conflated: in A and B, what they cost when on. */
const FEATURE_TARGETS = ['tidings-node-metrics', 'tidings-node-conflate'];

/** Scenario C; C-lo is the same at a rate below saturation. */
const LONG_POLL_C: Scenario = {
  id: 'C',
  // 50 events/s is the rate at which answers start to carry several events each (what engine.io's
  // queue does by design and what issue 5's goal is about); at 10 events/s every answer carries one.
  title: 'Long polling: 1,000 clients, 50 events/s',
  transport: 'long-poll',
  mode: 'rate',
  baseline: 'engineio-polling',
  targets: ['engineio-polling', ...tidingsTargets('long-poll'), 'raw-http', 'socketio-polling'],
  unit: 'delivery',
  full: { clients: 1000, warmupMs: 500, durationMs: 3000, connectConcurrency: 100, ratePerS: 50 },
  smoke: SMOKE_RATE,
  goals: [
    { metric: 'p99Ms', op: '<=', ratio: 1 },
    { metric: 'usPerUnit', op: '<=', ratio: 0.6 },
  ],
  goalText: 'p99 ≤ engine.io polling, at ≤ 0.6× its server µs per delivery',
};

/** Scenarios A–F of issue 5 (E and F split by transport). */
export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'A',
    title: 'WebSocket fan-out: 1,000 clients, 200-byte events, as fast as the server can',
    transport: 'ws',
    mode: 'window',
    baseline: 'raw-ws-framed',
    targets: [
      'raw-ws-framed',
      ...tidingsTargets('ws'),
      ...OPERATOR_TARGETS,
      ...FEATURE_TARGETS,
      'raw-ws',
      'socketio-ws',
    ],
    unit: 'delivery',
    full: FANOUT,
    smoke: SMOKE_FANOUT,
    goals: [
      { metric: 'unitsPerS', op: '>=', ratio: 0.9 },
      { metric: 'usPerUnit', op: '<=', ratio: 1.2 },
    ],
    goalText: '≥ 0.9× deliveries/s of raw ws framed once + corked, at ≤ 1.2× its server µs per delivery',
  },
  {
    id: 'A-1pt',
    // Publishes that each arrive in their own turn (from Redis, from separate requests): corking per
    // turn saves nothing, so every event costs every socket a write unless the server batches.
    title: 'WebSocket fan-out, one event per turn: 1,000 clients, 200-byte events',
    transport: 'ws',
    mode: 'window',
    baseline: 'raw-ws-framed',
    targets: ['raw-ws-framed', 'tidings-node', 'tidings-node-batch', 'raw-ws', 'socketio-ws'],
    unit: 'delivery',
    full: { ...FANOUT, burst: 1 },
    smoke: { ...SMOKE_FANOUT, burst: 1 },
    goals: [],
    goalText: undefined,
  },
  {
    id: 'B',
    title: 'SSE fan-out: 1,000 clients, 200-byte events, as fast as the server can',
    transport: 'sse',
    mode: 'window',
    baseline: 'raw-http',
    targets: [
      'raw-http',
      ...tidingsTargets('sse'),
      'raw-http-tuned',
      ...REF_TARGETS,
      ...FEATURE_TARGETS,
      'express-sse',
      'better-sse',
      'hono-sse',
    ],
    unit: 'delivery',
    full: FANOUT,
    smoke: SMOKE_FANOUT,
    goals: [
      { metric: 'unitsPerS', op: '>=', ratio: 0.9 },
      { metric: 'usPerUnit', op: '<=', ratio: 1.5, versus: 'raw-http-tuned' },
    ],
    goalText:
      '≥ 0.9× deliveries/s of raw node:http SSE, at ≤ 1.5× the server µs per delivery of raw SSE framed once + corked (issue 22)',
  },
  LONG_POLL_C,
  {
    ...LONG_POLL_C,
    id: 'C-lo',
    // C saturates every server, which makes µs per delivery the same for all; at 5 events/s no stack
    // is saturated and every answer carries one event, so µs per delivery is the cost of one answer.
    title: 'Long polling, below saturation: 1,000 clients, 5 events/s',
    full: { ...LONG_POLL_C.full, ratePerS: 5 },
    goals: [{ metric: 'usPerUnit', op: '<=', ratio: 0.8 }],
    goalText: '≤ 0.8× engine.io polling’s server µs per answer (issue 22)',
  },
  {
    id: 'D',
    title: 'Short polling: 32 clients polling back to back, 20 events/s',
    transport: 'poll',
    mode: 'requests',
    baseline: 'raw-http',
    targets: ['raw-http', ...tidingsTargets('poll')],
    unit: 'request',
    full: { clients: 32, warmupMs: 500, durationMs: 2000, connectConcurrency: 32, ratePerS: 20 },
    smoke: SMOKE_RATE,
    goals: [],
  },
  {
    id: 'E-ws',
    title: 'Idle memory: 10,000 WebSocket connections',
    transport: 'ws',
    mode: 'idle',
    baseline: 'raw-ws',
    targets: ['raw-ws', ...tidingsTargets('ws'), ...OPERATOR_TARGETS, 'socketio-ws'],
    unit: 'delivery',
    full: IDLE,
    smoke: SMOKE_IDLE,
    goals: [
      { metric: 'rssPerConnKB', op: '<=', ratio: 1.2 },
      { metric: 'heapPerConnKB', op: '<=', ratio: 1.2 },
    ],
    goalText: '≤ 1.2× raw ws RSS and heap per connection',
  },
  {
    id: 'E-sse',
    title: 'Idle memory: 10,000 SSE connections',
    transport: 'sse',
    mode: 'idle',
    baseline: 'raw-http',
    targets: [
      'raw-http',
      ...tidingsTargets('sse'),
      ...OPERATOR_TARGETS,
      'express-sse',
      'better-sse',
      'hono-sse',
    ],
    unit: 'delivery',
    full: IDLE,
    smoke: SMOKE_IDLE,
    goals: [
      { metric: 'rssPerConnKB', op: '<=', ratio: 1.2, except: ['tidings-express'] },
      { metric: 'rssPerConnKB', op: '<=', ratio: 1.1, versus: 'express-sse', only: ['tidings-express'] },
    ],
    goalText: '≤ 1.2× raw node:http SSE RSS per connection; on Express ≤ 1.1× Express SSE by hand',
  },
  {
    id: 'F-ws',
    title: 'Latency over WebSocket: 100 clients × 100 events/s',
    transport: 'ws',
    mode: 'rate',
    baseline: 'raw-ws',
    targets: ['raw-ws', ...tidingsTargets('ws'), 'tidings-node-batch', 'raw-ws-framed', 'socketio-ws'],
    unit: 'delivery',
    full: LATENCY,
    smoke: SMOKE_RATE,
    goals: [{ metric: 'p99Ms', op: '<=', ratio: 1.2 }],
    goalText: 'p99 within 1.2× raw ws',
  },
  {
    id: 'F-sse',
    title: 'Latency over SSE: 100 clients × 100 events/s',
    transport: 'sse',
    mode: 'rate',
    baseline: 'raw-http',
    targets: ['raw-http', ...tidingsTargets('sse'), 'better-sse', 'hono-sse'],
    unit: 'delivery',
    full: LATENCY,
    smoke: SMOKE_RATE,
    goals: [],
  },
  // G (cross-node delivery through Redis) lives in redis-scenario.ts: it runs only where
  // redis-server is installed.
];
