import { fileURLToPath } from 'node:url';
import { Socket as EngineSocket } from 'engine.io-client';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Child } from '../src/child.ts';

// The load generator speaks Socket.IO and engine.io by hand, so that every target costs it the same
// per message. These tests prove the peers' server scripts are the real thing: the official clients
// connect to them and receive the broadcasts.
const serverScript = (name: string) => fileURLToPath(new URL(`../src/server/${name}`, import.meta.url));

const open: { close(): void }[] = [];
let server: Child | undefined;

afterEach(async () => {
  for (const client of open.splice(0)) client.close();
  await server?.kill();
  server = undefined;
});

async function start(script: string): Promise<number> {
  server = new Child(script, serverScript(script), []);
  const { port } = (await server.ready) as { port: number };
  return port;
}

function firstEvents(on: (listener: (data: { data: { s: number } }) => void) => void, count: number) {
  return new Promise<number[]>((resolve, reject) => {
    const seen: number[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${seen.length} events arrived`)), 8000);
    on((envelope) => {
      // Polling delivers batches: a whole payload arrives in one turn, so copy the first `count`.
      if (seen.length >= count) return;
      seen.push(envelope.data.s);
      if (seen.length === count) {
        clearTimeout(timer);
        resolve([...seen]);
      }
    });
  });
}

describe('peer server scripts with their official clients', () => {
  it.each([['websocket'], ['polling']] as const)(
    'socket.io-client over %s receives io.emit broadcasts',
    async (transport) => {
      const port = await start('socketio.ts');
      const socket: Socket = io(`http://127.0.0.1:${port}`, {
        transports: [transport],
        upgrade: false,
        reconnection: false,
      });
      open.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      const events = firstEvents((listener) => socket.on('m', listener), 3);
      await server!.request('publish', { mode: 'rate', ratePerS: 50, maxEvents: 20 });
      expect(await events).toEqual([1, 2, 3]);
    },
  );

  it('engine.io-client over polling receives every socket.send', async () => {
    const port = await start('engineio.ts');
    const socket = new EngineSocket(`ws://127.0.0.1:${port}`, { transports: ['polling'], upgrade: false });
    open.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const events = firstEvents(
      (listener) => socket.on('message', (text) => listener(JSON.parse(String(text)))),
      3,
    );
    await server!.request('publish', { mode: 'rate', ratePerS: 50, maxEvents: 20 });
    expect(await events).toEqual([1, 2, 3]);
  });
});
