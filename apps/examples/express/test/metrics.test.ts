import { EventSource } from 'eventsource';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listen, type Running } from '../src/listen.ts';

let running: Running;

beforeAll(async () => {
  running = await listen({ secret: 'a-test-secret-of-at-least-32-bytes!!', port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await running.close();
});

/** One scrape of `GET /metrics`, as Prometheus does it: `name{labels}` → value. */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${running.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const values = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

/** The value of a series whose name is `name` and whose labels include every one of `labels`. */
function series(
  values: Map<string, number>,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  for (const [key, value] of values) {
    if (!key.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) return value;
  }
  return undefined;
}

async function demoToken(): Promise<string> {
  return (await (await fetch(`${running.url}/api/token`)).json()).token;
}

it('serves Prometheus text that follows clients as they connect, receive and leave', async () => {
  const node = running.hub.nodeId;
  const before = await scrape();
  expect(series(before, 'tidings_connections', { node, transport: 'ws' })).toBe(0);
  const clientLeftBefore =
    series(before, 'tidings_disconnections_total', { node, transport: 'ws', reason: 'client' }) ?? 0;

  const token = await demoToken();
  const socket = new WebSocket(`${running.url.replace('http', 'ws')}/realtime/ws?topics=notes`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await new Promise((resolve, reject) => {
    socket.once('message', resolve);
    socket.once('error', reject);
  });
  // An EventSource sends no headers: it opens with a single-use ticket, as a browser's would.
  const { ticket } = await (
    await fetch(`${running.url}/api/realtime-ticket`, { headers: { authorization: `Bearer ${token}` } })
  ).json();
  const source = new EventSource(
    `${running.url}/realtime/sse?topics=notes&ticket=${encodeURIComponent(ticket)}`,
  );
  await new Promise((resolve) => {
    source.onopen = resolve;
  });
  const received = new Promise((resolve) => socket.on('message', resolve));
  await fetch(`${running.url}/api/notes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'counted' }),
  });
  await received;

  const during = await scrape();
  expect(series(during, 'tidings_connections', { node, transport: 'ws' })).toBe(1);
  expect(series(during, 'tidings_connections', { node, transport: 'sse' })).toBe(1);
  expect(series(during, 'tidings_subscriptions', { node })).toBe(2);
  expect(series(during, 'tidings_published_total', { node })).toBeGreaterThanOrEqual(1);
  expect(series(during, 'tidings_deliveries_total', { node, transport: 'ws' })).toBeGreaterThanOrEqual(1);
  expect(series(during, 'tidings_delivered_bytes_total', { node, transport: 'ws' })).toBeGreaterThan(50);
  expect(series(during, 'tidings_publish_to_deliver_seconds_count', { node })).toBeGreaterThanOrEqual(1);

  socket.close();
  source.close();
  await expect.poll(() => running.hub.stats().connections.total, { timeout: 3000 }).toBe(0);
  const after = await scrape();
  expect(series(after, 'tidings_connections', { node, transport: 'ws' })).toBe(0);
  expect(series(after, 'tidings_connections', { node, transport: 'sse' })).toBe(0);
  expect(series(after, 'tidings_disconnections_total', { node, transport: 'ws', reason: 'client' })).toBe(
    clientLeftBefore + 1,
  );
  expect(
    series(after, 'tidings_disconnections_total', { node, transport: 'sse', reason: 'client' }),
  ).toBeGreaterThanOrEqual(1);
});
