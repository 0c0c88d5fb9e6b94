import { createHub, type Hub, type HubOptions, type Principal } from '@tidings/core';
import { createSseParser } from '@tidings/core/protocol';
import { serve } from '@tidings/node';
import { createClient } from 'redis';
import { createRedisBroker, type RedisBroker } from '../../src/index.ts';

/** A hub on its own Redis broker, served over real HTTP: one node of a cluster. */
export interface ClusterTestNode {
  hub: Hub;
  broker: RedisBroker;
  /** Base URL of its routes. */
  url: string;
  close(): Promise<void>;
}

/** Principals from `?user=` (anonymous without), with `?iat=` as the token's issue time in seconds. */
export function principalFromQuery(request: { url: string }): Principal {
  const query = new URL(request.url).searchParams;
  const id = query.get('user');
  const iat = query.get('iat');
  return id ? { id, claims: iat ? { iat: Number(iat) } : {} } : {};
}

/** Starts a node on the Redis at `url` under `prefix`. */
export async function startNode(
  url: string,
  prefix: string,
  options: Partial<HubOptions> & { clusterHeartbeatMs?: number } = {},
): Promise<ClusterTestNode> {
  const { clusterHeartbeatMs, ...hubOptions } = options;
  const broker = await createRedisBroker({ url, prefix, clusterHeartbeatMs });
  const hub = createHub({ authenticate: principalFromQuery, broker, tickMs: 100, ...hubOptions });
  const served = await serve(hub, { port: 0 });
  return {
    hub,
    broker,
    url: served.url,
    async close() {
      await served.close();
      await broker.close();
    },
  };
}

/** Deletes every key of the cluster under `prefix` (and the log's), so a shared Redis is left clean. */
export async function deleteClusterKeys(url: string, prefix: string): Promise<void> {
  const admin = createClient({ url });
  await admin.connect();
  const keys: string[] = [];
  for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
  if (keys.length > 0) await admin.del(keys);
  admin.destroy();
}

/** Redis's clock (TIME) in ms, the clock the cluster view's heartbeats and expiries are on. */
export async function redisTimeMs(url: string): Promise<number> {
  const admin = createClient({ url });
  await admin.connect();
  try {
    const [seconds, micros] = (await admin.sendCommand(['TIME'])) as [string, string];
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  } finally {
    admin.destroy();
  }
}

/** A WebSocket client that keeps every message and how it closed. */
export interface WsClient {
  readonly messages: Record<string, unknown>[];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Presence events seen, as `join:ann`. */
  presence(): string[];
  close(): void;
}

export function connectWs(base: string, query: string): WsClient {
  const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws?${query}`);
  const messages: Record<string, unknown>[] = [];
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data));
      messages.push(message);
      if (message.type === 'welcome') resolve();
    });
    socket.addEventListener('error', () => reject(new Error(`WebSocket to ${base} ${query} failed`)));
  });
  opened.catch(() => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason }));
  });
  return {
    messages,
    opened,
    closed,
    presence: () =>
      messages
        .filter((m) => m.type === 'event' && String(m.event).startsWith('tidings:'))
        .map((m) => `${String(m.event).slice(8)}:${(m.data as { user: string }).user}`),
    close: () => socket.close(),
  };
}

/** An SSE stream read with fetch; `status` is the answer's status, `events` what it said. */
export interface SseClient {
  readonly events: { event: string; data: string }[];
  readonly status: Promise<number>;
  readonly ended: Promise<void>;
  close(): void;
}

export function connectSse(base: string, query: string): SseClient {
  const abort = new AbortController();
  const events: { event: string; data: string }[] = [];
  const parser = createSseParser({ onEvent: (m) => events.push({ event: m.event, data: m.data }) });
  let status!: (value: number) => void;
  const statusPromise = new Promise<number>((resolve) => {
    status = resolve;
  });
  const ended = (async () => {
    try {
      const response = await fetch(`${base}/sse?${query}`, { signal: abort.signal });
      status(response.status);
      if (!response.ok) {
        await response.body?.cancel();
        return;
      }
      const decoder = new TextDecoder();
      for await (const chunk of response.body!)
        parser.push(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch {
      status(0);
    }
  })();
  return { events, status: statusPromise, ended, close: () => abort.abort() };
}
