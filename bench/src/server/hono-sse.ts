// Hono's own `streamSSE` on @hono/node-server: a stream per request kept in a set, and
// `writeSSE` per client per event, as Hono's documentation shows.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { toEnvelope } from '../payload.ts';
import { runTargetServer } from './harness.ts';

await runTargetServer(async () => {
  const streams = new Set<SSEStreamingApi>();
  const app = new Hono();
  app.get('/sse', (c) =>
    streamSSE(c, async (stream) => {
      streams.add(stream);
      // The head goes out with the first bytes: send a retry line at once so the client sees the stream open.
      await stream.writeSSE({ data: '', retry: 2000, event: 'open' });
      await new Promise<void>((resolve) =>
        stream.onAbort(() => {
          streams.delete(stream);
          resolve();
        }),
      );
    }),
  );
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return {
    port: (server.address() as AddressInfo).port,
    broadcast(data, seq) {
      const text = JSON.stringify(toEnvelope(seq, data));
      for (const stream of streams) void stream.writeSSE({ data: text, event: 'message', id: String(seq) });
    },
    connections: () => streams.size,
  };
});
