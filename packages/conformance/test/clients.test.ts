import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { dechunk } from '../src/clients/dechunk.ts';
import { Inbox } from '../src/clients/inbox.ts';
import { rawExchange } from '../src/clients/raw-socket.ts';
import {
  closePayload,
  encodeFrame,
  OPCODES,
  openRawWebSocket,
  parseFrames,
} from '../src/clients/raw-websocket.ts';

let server: Server | undefined;
let wss: WebSocketServer | undefined;
afterEach(async () => {
  wss?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  wss = undefined;
});

async function listen(
  handler: Parameters<typeof createServer>[1] = (_req, res) => res.end('ok'),
): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Inbox', () => {
  it('resolves when the condition holds and fails when the source ends first', async () => {
    const inbox = new Inbox<number>();
    const waiting = inbox.count(2, (n) => n > 0, 'positives');
    inbox.push(-1);
    inbox.push(1);
    inbox.push(2);
    expect(await waiting).toEqual([1, 2]);
    const never = inbox.until((items) => items.length > 10, 'eleven items');
    inbox.end();
    await expect(never).rejects.toThrow(/ended before eleven items/);
  });
});

describe('dechunk', () => {
  it('decodes complete and partial chunked bodies', () => {
    expect(dechunk(Buffer.from('3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n'))).toEqual({
      data: Buffer.from('abcde'),
      complete: true,
    });
    expect(dechunk(Buffer.from('3\r\nabc\r\n5\r\nde'))).toEqual({
      data: Buffer.from('abcde'),
      complete: false,
    });
  });
});

describe('raw HTTP and WebSocket clients', () => {
  it('rawExchange reads a response head; a server that closes without answering gives undefined', async () => {
    const url = await listen((_req, res) => res.writeHead(418, { 'x-test': 'yes' }).end('teapot'));
    const answer = await rawExchange(url, 'GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    expect(answer).toMatchObject({ status: 418, headers: { 'x-test': 'yes' } });
    server!.on('connection', (socket) => socket.destroy());
    expect(await rawExchange(url, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n')).toBeUndefined();
  });

  it('speaks RFC 6455 with the ws server: masked frames in, frames and close codes out', async () => {
    const url = await listen();
    wss = new WebSocketServer({ server: server!, maxPayload: 100_000 });
    wss.on('connection', (ws) => {
      ws.on('message', (data) => ws.send(`echo:${String(data)}`));
    });
    const ws = await openRawWebSocket(url.replace('http', 'ws'));
    expect(ws.handshake.status).toBe(101);
    ws.send(OPCODES.text, 'x'.repeat(70_000));
    ws.send(OPCODES.text, 'hello');
    await ws.frames.until((f) => f.length >= 2, 'two echoes');
    expect(ws.frames.items.map((f) => f.payload.length)).toEqual([70_005, 10]);
    ws.send(OPCODES.close, closePayload(1000));
    expect(await ws.waitForClose()).toBe(1000);
    ws.close();
    const bad = await openRawWebSocket(url.replace('http', 'ws'), { 'sec-websocket-version': '99' });
    expect(bad.handshake.status).toBe(400);
    bad.close();
  });

  it('parseFrames handles 16- and 64-bit lengths and stops at an incomplete frame', () => {
    const long = encodeFrame(OPCODES.binary, Buffer.alloc(70_000, 1), { mask: false });
    const mid = encodeFrame(OPCODES.text, 'y'.repeat(300), { mask: false });
    const { frames, used } = parseFrames(Buffer.concat([long, mid, mid.subarray(0, 10)]));
    expect(frames.map((f) => [f.opcode, f.payload.length])).toEqual([
      [OPCODES.binary, 70_000],
      [OPCODES.text, 300],
    ]);
    expect(used).toBe(long.length + mid.length);
  });
});
