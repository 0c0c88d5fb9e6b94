import { Socket } from 'node:net';
import { createHub, createMemoryBroker } from '@tidings/core';
import type { EventRecord } from '@tidings/core/broker';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { type Served, serve } from '../src/index.ts';

let served: Served | undefined;
const closers: (() => void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const close of closers.splice(0)) close();
  await served?.close();
  served = undefined;
});

/** A hub whose broker hands every published record to the test. */
function recordingHub() {
  const memory = createMemoryBroker();
  const records: EventRecord[] = [];
  const hub = createHub({
    anonymous: true,
    broker: {
      ...memory,
      publish(input) {
        const record = memory.publish(input) as EventRecord;
        records.push(record);
        return record;
      },
    },
  });
  return { hub, records };
}

async function openWs(url: string): Promise<{ ws: WebSocket; messages: string[] }> {
  const ws = new WebSocket(url);
  closers.push(() => ws.terminate());
  const messages: string[] = [];
  ws.on('message', (data) => messages.push(String(data)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, messages };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('fan-out fast path', () => {
  it('frames a broadcast once and writes the same WebSocket buffer to every subscriber', async () => {
    const { hub, records } = recordingHub();
    served = await serve(hub);
    const wsUrl = `${served.url.replace('http', 'ws')}/ws?topics=room`;
    const clients = [await openWs(wsUrl), await openWs(wsUrl), await openWs(wsUrl)];
    await until(() => clients.every((c) => c.messages.length === 1), 'three welcomes');
    const controller = new AbortController();
    closers.push(() => controller.abort());
    const sse = await fetch(`${served.url}/sse?topics=room`, { signal: controller.signal });
    const reader = sse.body!.getReader();
    await reader.read();

    const writes: unknown[] = [];
    const original = Socket.prototype.write;
    vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args: unknown[]) {
      writes.push(args[0]);
      return (original as (...a: unknown[]) => boolean).apply(this, args);
    });
    await hub.publish('room', { text: 'hello everyone' });
    await until(() => clients.every((c) => c.messages.length === 2), 'the broadcast on every socket');
    vi.restoreAllMocks();

    const [record] = records;
    expect(clients.map((c) => JSON.parse(c.messages[1]!))).toEqual(
      Array(3).fill({
        type: 'event',
        id: record!.id,
        topic: 'room',
        event: 'message',
        data: { text: 'hello everyone' },
      }),
    );
    // One WebSocket frame and one SSE buffer were memoized on the record...
    const memo = [...record!.frames.values()].flat() as Buffer[];
    const wsFrame = memo.find((b) => Buffer.isBuffer(b) && b[0] === 0x81);
    expect(wsFrame).toBeDefined();
    // ...and that very buffer went to each of the three sockets.
    expect(writes.filter((chunk) => chunk === wsFrame)).toHaveLength(3);
    let text = '';
    while (!text.includes(record!.id)) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain(`id: ${record!.id}\n`);
  });
});

describe('serve', () => {
  it('answers 404 outside its path, for requests and for upgrades', async () => {
    served = await serve(createHub({ anonymous: true }), { path: '/rt' });
    const origin = served.url.replace(/\/rt$/, '');
    const res = await fetch(`${origin}/elsewhere`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no such route' } });
    const status = await new Promise<number | undefined>((resolve) => {
      const ws = new WebSocket(`${origin.replace('http', 'ws')}/rt/not-ws`);
      closers.push(() => ws.terminate());
      ws.on('unexpected-response', (_req, response) => resolve(response.statusCode));
      ws.on('open', () => resolve(101));
      ws.on('error', () => resolve(undefined));
    });
    expect(status).toBe(404);
    const ok = await fetch(`${served.url}/poll?topics=a`);
    expect(ok.status).toBe(200);
  });
});
