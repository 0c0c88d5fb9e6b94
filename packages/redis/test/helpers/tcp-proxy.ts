import { connect, createServer, type Socket } from 'node:net';

/** A loopback TCP proxy a test can cut and heal, to partition one connection from Redis. */
export interface TcpProxy {
  readonly url: string;
  /** Drops every connection and refuses new ones until `heal()`. */
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<Socket>();
  let open = true;
  const server = createServer((inbound) => {
    if (!open) {
      inbound.destroy();
      return;
    }
    const outbound = connect(targetPort, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      pairs.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        pairs.delete(socket);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    cut() {
      open = false;
      for (const socket of pairs) socket.destroy();
    },
    heal() {
      open = true;
    },
    async close() {
      for (const socket of pairs) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
