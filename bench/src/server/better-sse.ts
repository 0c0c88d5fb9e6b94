// better-sse 0.16 on node:http: a session per request registered on one channel, and
// `channel.broadcast` per event, as its documentation shows.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChannel, createSession } from 'better-sse';
import { toEnvelope } from '../payload.ts';
import { runTargetServer } from './harness.ts';

await runTargetServer(async () => {
  const channel = createChannel();
  const server = createServer((req, res) => {
    if (!req.url?.startsWith('/sse')) {
      res.writeHead(404).end();
      return;
    }
    createSession(req, res).then(
      (session) => channel.register(session),
      () => res.destroy(),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    broadcast(data, seq) {
      channel.broadcast(toEnvelope(seq, data), 'message', { eventId: String(seq) });
    },
    connections: () => channel.sessionCount,
  };
});
