import { createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import type { StreamPort } from '@tidings/core/adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeStreamPort } from '../src/node-stream-port.ts';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

// More than loopback socket buffers take (a few MB), so the rest must wait in the process.
const CHUNK = 'x'.repeat(65_536);
const CHUNKS = 256;

/**
 * A server whose one answer is an open stream port, and a raw client that asked for it and reads
 * nothing until told: the port, its response and the client's socket.
 */
async function stalledStream(): Promise<{ port: StreamPort; res: ServerResponse; client: Socket }> {
  let answered!: (value: { port: StreamPort; res: ServerResponse }) => void;
  const opened = new Promise<{ port: StreamPort; res: ServerResponse }>((resolve) => {
    answered = resolve;
  });
  const server: Server = createServer((_req, res) => {
    const port = createNodeStreamPort(res);
    port.open(200, { 'content-type': 'text/event-stream' });
    answered({ port, res });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  closers.push(() => client.destroy());
  client.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
  client.pause();
  return { ...(await opened), client };
}

describe('the Node stream port', () => {
  it('counts each queued byte once: the response’s length already holds its socket’s', async () => {
    const { port, res } = await stalledStream();
    for (let i = 0; i < CHUNKS; i++) port.write(CHUNK);
    const queued = res.socket!.writableLength;
    expect(queued).toBeGreaterThan(CHUNK.length);
    expect(port.bufferedAmount()).toBe(queued);
  });

  it('waitForDrain waits while the client does not read, and resolves once it has', async () => {
    const { port, client } = await stalledStream();
    for (let i = 0; i < CHUNKS; i++) port.write(CHUNK);
    let drained = false;
    const waiting = port.waitForDrain!().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drained).toBe(false);
    client.resume();
    await waiting;
    expect(port.bufferedAmount()).toBe(0);
  });

  it('waitForDrain resolves at once with nothing queued, and when the client goes', async () => {
    const { port, client } = await stalledStream();
    await port.waitForDrain!();
    for (let i = 0; i < CHUNKS; i++) port.write(CHUNK);
    const waiting = port.waitForDrain!();
    client.destroy();
    await waiting;
  });

  it('destroy drops an ended stream the client never read, and its queue with it', async () => {
    const { port, res, client } = await stalledStream();
    for (let i = 0; i < CHUNKS; i++) port.write(CHUNK);
    port.end();
    expect(res.destroyed).toBe(false);
    port.destroy!();
    expect(res.destroyed).toBe(true);
    const closed = new Promise((resolve) => client.once('close', resolve));
    client.resume();
    await closed;
  });
});
