import { connect, createServer, type Server } from 'node:net';

/** A running balancer. */
export interface Balancer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * A round-robin TCP balancer, standing in for nginx, HAProxy or a cloud load balancer. Each new
 * connection goes to the next node, with no affinity at all: a reconnecting client usually lands
 * on another node, which is the point of the demo.
 */
export async function startBalancer(targets: string[], port: number, host = '127.0.0.1'): Promise<Balancer> {
  let next = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((inbound) => {
    const target = new URL(targets[next++ % targets.length]!);
    const outbound = connect(Number(target.port), target.hostname);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as { address: string; port: number };
  return {
    url: `http://${address.address}:${address.port}`,
    server,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
