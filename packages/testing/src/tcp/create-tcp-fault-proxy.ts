import { connect, createServer, type Socket } from 'node:net';

/** Where a TCP fault proxy forwards to, and how it names itself. */
export interface TcpFaultProxyOptions {
  /** The server's port (Redis, PostgreSQL, any TCP service). */
  port: number;
  /** The server's host. Default `'127.0.0.1'`. */
  host?: string;
  /** The scheme of `url`, for a client that takes a URL (`'redis'`, `'postgres'`). Default `'tcp'`. */
  scheme?: string;
}

/**
 * A loopback TCP proxy between an app (or a hub's broker) and a service such as Redis or
 * PostgreSQL, to test what the app does when that service fails the ways networks do: told of it
 * (`cut`), silently (`stall`, `blackhole`). Node only.
 */
export interface TcpFaultProxy {
  /** `{scheme}://127.0.0.1:{port}`: give it to the client in place of the service's address. */
  readonly url: string;
  /** The proxy's own port, on 127.0.0.1. */
  readonly port: number;
  /** Closes every connection and refuses new ones until `heal()`: a failure the peers are told of. */
  cut(): void;
  /**
   * Holds every byte in both directions, on open and new connections, until `heal()` delivers them
   * in order: a partition nobody is told of, which TCP's retransmissions outlast. The held bytes
   * stay in memory, so keep a stall as short as the test needs.
   */
  stall(): void;
  /**
   * Drops every byte of the connections open now, forever, without closing them (a NAT or firewall
   * that forgot them); new connections pass.
   */
  blackhole(): void;
  /** Ends `cut` and `stall` (held bytes are delivered); black-holed connections stay dead. */
  heal(): void;
  /** Closes every connection and stops listening. */
  close(): Promise<void>;
}

interface Pair {
  inbound: Socket;
  outbound: Socket;
  dead: boolean;
}

/** Starts a TCP fault proxy on 127.0.0.1 (a free port) in front of `options.port`. */
export async function createTcpFaultProxy(options: TcpFaultProxyOptions): Promise<TcpFaultProxy> {
  const { port: targetPort, host = '127.0.0.1', scheme = 'tcp' } = options;
  const pairs = new Set<Pair>();
  let open = true;
  let stalled = false;
  const held: (() => void)[] = [];
  const server = createServer((inbound) => {
    if (!open) {
      inbound.destroy();
      return;
    }
    const outbound = connect(targetPort, host);
    const pair: Pair = { inbound, outbound, dead: false };
    pairs.add(pair);
    const forward = (from: Socket, to: Socket) => {
      from.on('data', (chunk: Buffer) => {
        if (pair.dead) return;
        if (stalled) held.push(() => pair.dead || to.write(chunk));
        else to.write(chunk);
      });
    };
    forward(inbound, outbound);
    forward(outbound, inbound);
    for (const socket of [inbound, outbound]) {
      // A reset on either side ends both; the error itself is the fault under test, not the proxy's.
      socket.on('error', () => {});
      socket.on('close', () => {
        pairs.delete(pair);
        inbound.destroy();
        outbound.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const closeAll = (): void => {
    for (const pair of pairs) pair.inbound.destroy();
  };
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    cut() {
      open = false;
      closeAll();
    },
    stall() {
      stalled = true;
    },
    blackhole() {
      for (const pair of pairs) pair.dead = true;
    },
    heal() {
      open = true;
      stalled = false;
      for (const write of held.splice(0)) write();
    },
    async close() {
      closeAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
