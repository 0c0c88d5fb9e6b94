import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** Options of `startBalancer`'s readiness probes. */
export interface ReadinessOptions {
  /** The path probed on each node, e.g. `/realtime/ready` (tidings' readiness route). */
  path: string;
  /** How often each node is probed, in ms. Default 200. */
  everyMs?: number;
  /** A probe not answered within this long counts as a failure, in ms. Default 500. */
  timeoutMs?: number;
}

/** A running balancer. */
export interface Balancer {
  url: string;
  server: Server;
  /** Adds a node. With readiness probes it gets connections once a probe says it is ready. */
  add(target: string): void;
  /** The nodes that get new connections now. */
  ready(): string[];
  close(): Promise<void>;
}

/**
 * A round-robin TCP balancer, standing in for nginx, HAProxy or a cloud load balancer. Each new
 * connection goes to the next node, with no affinity at all: a reconnecting client usually lands
 * on another node, which is the point of the demo.
 *
 * With `readiness`, it probes each node as a load balancer's health check does and sends new
 * connections only to the nodes whose last probe answered 200: a draining node (its readiness
 * route answers 503) or a frozen one (no answer) stops getting clients within a probe or two.
 * Connections already open stay where they are.
 */
export async function startBalancer(
  targets: string[],
  port: number,
  host = '127.0.0.1',
  readiness?: ReadinessOptions,
): Promise<Balancer> {
  let next = 0;
  const sockets = new Set<Socket>();
  // Nodes given at the start are taken as ready until a probe says otherwise; nodes added later wait for one.
  const nodes = new Map<string, boolean>(targets.map((t) => [t, true]));
  const probe = (target: string) => {
    const timeoutMs = readiness!.timeoutMs ?? 500;
    let settled = false;
    const settle = (ready: boolean) => {
      if (settled) return;
      settled = true;
      if (nodes.has(target)) nodes.set(target, ready);
    };
    const req = request(`${target}${readiness!.path}`, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      settle(res.statusCode === 200);
    });
    req.on('timeout', () => {
      settle(false);
      req.destroy();
    });
    req.on('error', () => settle(false));
    req.end();
  };
  const timer = readiness
    ? setInterval(() => {
        for (const target of nodes.keys()) probe(target);
      }, readiness.everyMs ?? 200)
    : undefined;
  const server = createServer((inbound) => {
    const ready = [...nodes].filter(([, up]) => up).map(([t]) => t);
    if (ready.length === 0) {
      inbound.destroy();
      return;
    }
    const target = new URL(ready[next++ % ready.length]!);
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
    add(target) {
      nodes.set(target, !readiness);
    },
    ready: () => [...nodes].filter(([, up]) => up).map(([t]) => t),
    async close() {
      clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
