import { createServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A reverse proxy on loopback that, while `buffering` is on, holds event-stream bodies until they end (as a buffering or compressing proxy does). */
export interface BufferingProxy {
  /** The proxied base URL of the routes. */
  readonly url: string;
  buffering: boolean;
  close(): Promise<void>;
}

export async function startBufferingProxy(targetUrl: string): Promise<BufferingProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const stream = `${answer.headers['content-type']}`.startsWith('text/event-stream');
        if (stream && proxy.buffering) {
          // The headers pass, the body waits for the end.
          res.flushHeaders();
          const held: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => held.push(chunk));
          answer.on('end', () => res.end(Buffer.concat(held)));
        } else answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: BufferingProxy = {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    buffering: true,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
