import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listen } from '../src/listen.ts';

const secret = 'a-test-secret-of-at-least-32-bytes!!';
const DRAIN_MS = 1500;
const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

/**
 * Opens `path` with raw bytes (a WebSocket upgrade or a plain GET), waits for `until`, then stops
 * reading, as a client on a frozen tab or a dead network would. `ended` resolves once the server
 * has closed the connection (read after `resume()`).
 */
async function stuck(origin: string, path: string, token: string, upgrade: boolean) {
  const { hostname, port } = new URL(origin);
  const socket = connect(Number(port), hostname);
  sockets.push(socket);
  socket.on('error', () => {});
  const upgradeHead = `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n`;
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${token}\r\n${upgrade ? upgradeHead : ''}\r\n`,
  );
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${upgrade ? 'welcome' : 'opening'}`)), 10_000);
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!text.includes(upgrade ? '"welcome"' : ': open')) return;
      clearTimeout(timer);
      socket.pause();
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
  });
  const ended = new Promise<boolean>((resolve) => {
    socket.once('end', () => resolve(true));
    socket.once('close', () => resolve(true));
  });
  return { resume: () => socket.resume(), ended };
}

describe('shutdown', () => {
  it('close() is done within drainTimeoutMs even with a WebSocket and an SSE stream that stopped reading', async () => {
    const running = await listen({ secret, port: 0, host: '127.0.0.1', drainTimeoutMs: DRAIN_MS });
    const { token } = (await (await fetch(`${running.url}/api/token`)).json()) as { token: string };
    const ws = await stuck(running.url, '/realtime/ws?topics=notes', token, true);
    const sse = await stuck(running.url, '/realtime/sse?topics=notes', token, false);
    expect(running.hub.stats().connections).toMatchObject({ ws: 1, sse: 1 });

    const started = performance.now();
    await running.close();
    const tookMs = performance.now() - started;
    // The drain waited for the handshake the stuck socket never finishes, then dropped it; the
    // server let go of everything. Generous: the documented bound is drainTimeoutMs + 1 s.
    expect(tookMs).toBeGreaterThanOrEqual(DRAIN_MS - 100);
    expect(tookMs).toBeLessThan(DRAIN_MS + 4000);
    expect(running.server.listening).toBe(false);
    ws.resume();
    sse.resume();
    expect(await ws.ended).toBe(true);
    expect(await sse.ended).toBe(true);
    expect(running.hub.stats().connections.total).toBe(0);
  }, 20_000);
});
