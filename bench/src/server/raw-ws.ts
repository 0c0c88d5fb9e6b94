// Raw `ws` on node:http. Default: JSON once per broadcast, then `ws.send` per client (what most
// applications write). With the argument `framed`: the WebSocket frame is built once per broadcast
// and the same Buffer written to every socket, each corked for the rest of the tick: the fastest
// broadcast plain Node can do, the baseline of scenario A.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { toEnvelope } from '../payload.ts';
import { runTargetServer } from './harness.ts';
import { corkForTick } from './tick-cork.ts';
import { wsTextFrame } from './ws-frame.ts';

await runTargetServer(async (args) => {
  const framed = args.includes('framed');
  const server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
  // The upgraded TCP socket of each client, for the framed path's direct writes.
  const sockets = new Set<Socket>();
  wss.on('connection', (ws, req) => {
    ws.on('error', () => {});
    if (!framed) return;
    const socket = req.socket;
    sockets.add(socket);
    ws.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    broadcast(data, seq) {
      const text = JSON.stringify(toEnvelope(seq, data));
      if (framed) {
        const frame = wsTextFrame(Buffer.from(text));
        for (const socket of sockets) {
          corkForTick(socket);
          socket.write(frame);
        }
      } else for (const ws of wss.clients) ws.send(text);
    },
    connections: () => wss.clients.size,
  };
});
