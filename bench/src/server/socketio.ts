// Socket.IO 4 on node:http, websocket and polling transports, defaults otherwise: `io.emit` per
// broadcast (socket.io-adapter encodes the packet once and, for WebSocket clients, builds the frame
// once too).
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { toEnvelope } from '../payload.ts';
import { runTargetServer } from './harness.ts';

await runTargetServer(async () => {
  const server = createServer();
  const io = new Server(server, { serveClient: false, transports: ['polling', 'websocket'] });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    broadcast(data, seq) {
      io.emit('m', toEnvelope(seq, data));
    },
    connections: () => io.engine.clientsCount,
  };
});
