// SSE written by hand in an Express 5 app, the plain way: a route that opens the stream and keeps
// the response in a set, `res.write` of one string per client per event. The baseline an Express
// user would compare tidings on Express with (idle memory per stream above all).
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express, { type Response } from 'express';
import { toEnvelope } from '../payload.ts';
import { runTargetServer } from './harness.ts';

await runTargetServer(async () => {
  const streams = new Set<Response>();
  const app = express();
  app.get('/sse', (req, res) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    broadcast(data, seq) {
      const text = `id: ${seq}\ndata: ${JSON.stringify(toEnvelope(seq, data))}\n\n`;
      for (const res of streams) res.write(text);
    },
    connections: () => streams.size,
  };
});
