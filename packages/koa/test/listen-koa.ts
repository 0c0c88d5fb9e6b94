import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import type { TidingsKoaMiddleware } from '../src/index.ts';

/** A Koa app listening on loopback, with tidings' WebSockets attached. */
export interface ListeningKoa {
  server: Server;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

/** Starts `app` on 127.0.0.1, port 0, and attaches `realtime` to its server. */
export async function listenKoa(app: Koa, realtime: TidingsKoaMiddleware): Promise<ListeningKoa> {
  const server = app.listen(0, '127.0.0.1');
  const ws = realtime.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    async close() {
      ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
