// engine.io 6 on node:http (the transport layer under Socket.IO), used here for HTTP long-polling:
// the text is serialised once per broadcast and `socket.send` is called per client.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { attach, type Socket } from 'engine.io';
import { toEnvelope } from '../payload.ts';
import { runTargetServer } from './harness.ts';

await runTargetServer(async () => {
  const server = createServer();
  const engine = attach(server, { transports: ['polling', 'websocket'] });
  const sockets = new Set<Socket>();
  engine.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    broadcast(data, seq) {
      const text = JSON.stringify(toEnvelope(seq, data));
      for (const socket of sockets) socket.send(text);
    },
    connections: () => sockets.size,
  };
});
