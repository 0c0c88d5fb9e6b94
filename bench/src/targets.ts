import type { ClientKind } from './loadgen/job.ts';
import { TOPIC } from './payload.ts';

/** The transports a scenario can exercise. */
export type Transport = 'ws' | 'sse' | 'long-poll' | 'poll';

/** How the load generator reaches a target over one transport. */
export interface Endpoint {
  kind: ClientKind;
  path: string;
  readyOn?: 'open' | 'message';
}

/** One server under test: a script in src/server, and the transports it serves. */
export interface Target {
  id: string;
  label: string;
  /** tidings targets are judged against issue 5's goals; baselines and peers are what they are judged by. */
  family: 'tidings' | 'baseline' | 'peer';
  /** File in src/server. */
  script: string;
  args?: string[];
  endpoints: Partial<Record<Transport, Endpoint>>;
  /**
   * Arguments of a second process of the same script that does the publishing, so events reach
   * the measured server from another node. Default: the measured server publishes itself.
   */
  publisherArgs?: string[];
  /** Only for the scenarios that name it (it needs a service such as Redis). Default false. */
  dedicated?: boolean;
}

function tidingsEndpoints(base = '/realtime', extra = ''): Partial<Record<Transport, Endpoint>> {
  return {
    // tidings greets every socket; the welcome means the subscription is in place.
    ws: { kind: 'ws', path: `${base}/ws?topics=${TOPIC}${extra}`, readyOn: 'message' },
    sse: { kind: 'sse', path: `${base}/sse?topics=${TOPIC}${extra}` },
    'long-poll': { kind: 'long-poll', path: `${base}/long-poll?topics=${TOPIC}&timeout=25` },
    poll: { kind: 'poll', path: `${base}/poll?topics=${TOPIC}` },
  };
}

/**
 * Every target. The tidings adapters come first; Koa and Hono run through their own packages
 * (@tidings/koa, @tidings/hono/node).
 */
export const TARGETS: readonly Target[] = [
  {
    id: 'tidings-node',
    label: 'tidings, bare node:http (serve)',
    family: 'tidings',
    script: 'tidings-node.ts',
    endpoints: tidingsEndpoints(),
  },
  {
    // The operator's side on: every connection is a user of its own, present (presence on) in a
    // room of its own, so the figure is the per-connection cost of seats and presence (a join, its
    // event in the room's log, the cluster's and the tracker's entries), not of fanning joins out.
    id: 'tidings-node-presence',
    label: 'tidings, bare node:http, identified users with presence',
    family: 'tidings',
    script: 'tidings-node.ts',
    args: ['presence'],
    dedicated: true,
    endpoints: tidingsEndpoints('/realtime', ',room-{client}&user=u{client}'),
  },
  {
    // The same users and rooms without presence: what presence itself adds is the difference.
    id: 'tidings-node-rooms',
    label: 'tidings, bare node:http, identified users, a room each, no presence',
    family: 'tidings',
    script: 'tidings-node.ts',
    args: ['rooms'],
    dedicated: true,
    endpoints: tidingsEndpoints('/realtime', ',room-{client}&user=u{client}'),
  },
  {
    // Only with TIDINGS_REF set (see server/tidings-ref.ts), in A, B and E: `--targets tidings-node,tidings-node-ref`.
    id: 'tidings-node-ref',
    label: `tidings at ${process.env.TIDINGS_REF_LABEL ?? 'the reference commit'}, bare node:http (serve)`,
    family: 'peer',
    script: 'tidings-ref.ts',
    dedicated: true,
    endpoints: tidingsEndpoints(),
  },
  {
    id: 'tidings-node-batch',
    label: 'tidings, bare node:http, batchWindowMs: 1',
    family: 'tidings',
    script: 'tidings-node.ts',
    args: ['batch'],
    dedicated: true,
    endpoints: tidingsEndpoints(),
  },
  {
    id: 'tidings-node-hooks',
    label: 'tidings, bare node:http, all five hooks set',
    family: 'tidings',
    script: 'tidings-node.ts',
    args: ['hooks'],
    dedicated: true,
    endpoints: tidingsEndpoints(),
  },
  {
    id: 'tidings-node-metrics',
    label: 'tidings, bare node:http, metrics to an OpenTelemetry SDK meter',
    family: 'tidings',
    script: 'tidings-node.ts',
    args: ['metrics'],
    dedicated: true,
    endpoints: tidingsEndpoints(),
  },
  {
    id: 'tidings-node-conflate',
    label: 'tidings, bare node:http, the topic conflated (conflateTopics)',
    family: 'tidings',
    script: 'tidings-node.ts',
    args: ['conflate'],
    dedicated: true,
    endpoints: tidingsEndpoints(),
  },
  {
    id: 'tidings-express',
    label: 'tidings on Express 5',
    family: 'tidings',
    script: 'tidings-express.ts',
    endpoints: tidingsEndpoints(),
  },
  {
    id: 'tidings-koa',
    label: 'tidings on Koa 3',
    family: 'tidings',
    script: 'tidings-koa.ts',
    endpoints: tidingsEndpoints(),
  },
  {
    id: 'tidings-hono',
    label: 'tidings on Hono (node-server)',
    family: 'tidings',
    script: 'tidings-hono.ts',
    endpoints: tidingsEndpoints(),
  },
  {
    id: 'tidings-redis',
    label: 'tidings, bare node:http, events through Redis',
    family: 'tidings',
    script: 'tidings-redis.ts',
    publisherArgs: ['publisher'],
    dedicated: true,
    endpoints: tidingsEndpoints(),
  },
  {
    id: 'tidings-postgres',
    label: 'tidings, bare node:http, events through PostgreSQL',
    family: 'tidings',
    script: 'tidings-postgres.ts',
    publisherArgs: ['publisher'],
    dedicated: true,
    endpoints: tidingsEndpoints(),
  },
  {
    id: 'raw-ws',
    label: 'raw ws, send per client',
    family: 'baseline',
    script: 'raw-ws.ts',
    endpoints: { ws: { kind: 'ws', path: '/ws' } },
  },
  {
    id: 'raw-ws-framed',
    label: 'raw ws, framed once + corked',
    family: 'baseline',
    script: 'raw-ws.ts',
    args: ['framed'],
    endpoints: { ws: { kind: 'ws', path: '/ws' } },
  },
  {
    id: 'raw-http',
    label: 'raw node:http',
    family: 'baseline',
    script: 'raw-http.ts',
    endpoints: {
      sse: { kind: 'sse', path: '/sse' },
      'long-poll': { kind: 'long-poll', path: `/long-poll?topics=${TOPIC}` },
      poll: { kind: 'poll', path: `/poll?topics=${TOPIC}` },
    },
  },
  {
    id: 'raw-http-tuned',
    label: 'raw node:http SSE, framed once + corked',
    family: 'peer',
    script: 'raw-http.ts',
    args: ['tuned'],
    endpoints: { sse: { kind: 'sse', path: '/sse' } },
  },
  {
    id: 'socketio-ws',
    label: 'Socket.IO 4, websocket',
    family: 'peer',
    script: 'socketio.ts',
    endpoints: { ws: { kind: 'sio-ws', path: '/socket.io/?EIO=4&transport=websocket' } },
  },
  {
    id: 'socketio-polling',
    label: 'Socket.IO 4, polling',
    family: 'peer',
    script: 'socketio.ts',
    endpoints: { 'long-poll': { kind: 'sio-poll', path: '/socket.io/' } },
  },
  {
    id: 'engineio-polling',
    label: 'engine.io 6, polling',
    family: 'baseline',
    script: 'engineio.ts',
    endpoints: { 'long-poll': { kind: 'eio-poll', path: '/engine.io/' } },
  },
  {
    id: 'better-sse',
    label: 'better-sse 0.16 channel',
    family: 'peer',
    script: 'better-sse.ts',
    endpoints: { sse: { kind: 'sse', path: '/sse' } },
  },
  {
    id: 'express-sse',
    label: 'Express 5, SSE by hand',
    family: 'peer',
    script: 'express-sse.ts',
    endpoints: { sse: { kind: 'sse', path: '/sse' } },
  },
  {
    id: 'hono-sse',
    label: 'Hono streamSSE (node-server)',
    family: 'peer',
    script: 'hono-sse.ts',
    endpoints: { sse: { kind: 'sse', path: '/sse' } },
  },
];

/** The target with this id; throws for an unknown one. */
export function targetById(id: string): Target {
  const target = TARGETS.find((t) => t.id === id);
  if (!target) throw new Error(`unknown target ${id}`);
  return target;
}

/** The tidings targets that serve `transport`. */
export function tidingsTargets(transport: Transport): string[] {
  return TARGETS.filter((t) => t.family === 'tidings' && !t.dedicated && t.endpoints[transport]).map(
    (t) => t.id,
  );
}
