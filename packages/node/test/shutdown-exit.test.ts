import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type DrainProcess, startDrainProcess } from './support/drain-process.ts';
import { openStuck, type StuckClient, wsFrames } from './support/stuck-client.ts';

const DRAIN_MS = 2000;
const SPREAD_MS = 3000;
// The documented bound, drainTimeoutMs + 1 s, is held to the process's own clock (from its SIGTERM
// handler to its 'exit'); seen from this side, which a busy machine may schedule late, it gets more
// room. Before the fix the process lived until ws's own 30 s closing timeout gave up on the socket.
const OWN_EXIT_BOUND_MS = DRAIN_MS + 1000;
const EXIT_BOUND_MS = DRAIN_MS + 5000;

const running: DrainProcess[] = [];
const sockets: { close(): void }[] = [];
afterEach(() => {
  for (const server of running.splice(0)) server.kill();
  for (const socket of sockets.splice(0)) socket.close();
});

async function start(): Promise<DrainProcess> {
  const server = await startDrainProcess({ drainTimeoutMs: DRAIN_MS, drainSpreadMs: SPREAD_MS });
  running.push(server);
  return server;
}

/** The counters of the child's hub (its fallback route answers them). */
async function stats(server: DrainProcess): Promise<{ connections: Record<string, number> }> {
  const origin = new URL(server.url).origin;
  return (await (await fetch(`${origin}/stats`)).json()) as { connections: Record<string, number> };
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** What a stuck WebSocket was told before the server dropped it: the `close` message and the close frame. */
async function toldStuckWs(stuck: StuckClient): Promise<{ retryMs: number; code: number; reason: string }> {
  const { bytes, ended } = await stuck.drain();
  expect(ended).toBe(true);
  const frames = wsFrames(bytes);
  const texts = frames.filter((f) => f.opcode === 1).map((f) => JSON.parse(f.payload.toString()));
  const notice = texts.find((m) => m.type === 'close');
  const close = frames.find((f) => f.opcode === 8)!;
  return {
    retryMs: notice?.retryMs,
    code: close.payload.readUInt16BE(0),
    reason: close.payload.subarray(2).toString(),
  };
}

/** The `close` event and `retry:` a stuck SSE stream was sent before it ended. */
async function toldStuckSse(stuck: StuckClient): Promise<{ retryMs: number; code: string }> {
  const { bytes, ended } = await stuck.drain();
  expect(ended).toBe(true);
  const text = bytes.toString();
  const match = /retry: (\d+)\nevent: close\ndata: (\{[^\n]*\})\n/.exec(text);
  expect(match, text).not.toBeNull();
  const notice = JSON.parse(match![2]!) as { code: string; retryMs: number };
  expect(notice.retryMs).toBe(Number(match![1]));
  return notice;
}

const isDelay = (ms: unknown) => Number.isInteger(ms) && (ms as number) >= 0 && (ms as number) < SPREAD_MS;

describe('shutdown of a process behind serve()', () => {
  it('a WebSocket and an SSE client that stop reading: the process exits by itself within drainTimeoutMs', async () => {
    const server = await start();
    const ws = await openStuck(server.url, '/realtime/ws?topics=t', '"welcome"', true);
    const sse = await openStuck(server.url, '/realtime/sse?topics=t', ': open', false);
    sockets.push({ close: () => ws.socket.destroy() }, { close: () => sse.socket.destroy() });

    const { exitMs, ownExitMs, code } = await server.terminate();
    console.log(
      `stuck reader: SIGTERM to exit ${ownExitMs} ms in the process, ${Math.round(exitMs)} ms seen from the test (drainTimeoutMs ${DRAIN_MS})`,
    );
    // Exited on its own (nothing left holding it), after the drain waited for the handshake.
    expect(code).toBe(0);
    expect(exitMs).toBeGreaterThanOrEqual(DRAIN_MS - 100);
    expect(ownExitMs).toBeLessThan(OWN_EXIT_BOUND_MS);
    expect(exitMs).toBeLessThan(EXIT_BOUND_MS);

    const told = await toldStuckWs(ws);
    expect(told).toMatchObject({ code: 1001, reason: 'unavailable' });
    expect(isDelay(told.retryMs)).toBe(true);
    expect((await toldStuckSse(sse)).code).toBe('unavailable');
  }, 30_000);

  it('1,000 mixed clients: each answered or closed with its code and its own delay; the process exits in time', async () => {
    const server = await start();
    const base = server.url;
    const wsUrl = `${base.replace('http', 'ws')}/ws?topics=t`;
    // 300 WebSockets, 300 SSE streams, 300 long polls that read, and 100 clients that stop reading.
    const closes: Promise<{ code: number; reason: string; retryMs: unknown }>[] = [];
    const welcomed: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      const ws = new WebSocket(wsUrl);
      sockets.push(ws);
      let retryMs: unknown;
      welcomed.push(new Promise((resolve) => ws.once('message', () => resolve())));
      ws.on('message', (data) => {
        const message = JSON.parse(String(data));
        if (message.type === 'close') retryMs = message.retryMs;
      });
      ws.on('error', () => {});
      closes.push(
        new Promise((resolve) =>
          ws.once('close', (code, reason) => resolve({ code, reason: reason.toString(), retryMs })),
        ),
      );
    }
    await Promise.all(welcomed);
    const streams: Promise<string>[] = [];
    const opened: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      const response = fetch(`${base}/sse?topics=t`);
      let signalOpen!: () => void;
      opened.push(new Promise((resolve) => (signalOpen = resolve)));
      streams.push(
        response.then(async (res) => {
          let text = '';
          const decoder = new TextDecoder();
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
            text += decoder.decode(chunk, { stream: true });
            if (text.includes(': open')) signalOpen();
          }
          return text;
        }),
      );
    }
    await Promise.all(opened);
    const stuck: { ws: StuckClient[]; sse: StuckClient[] } = { ws: [], sse: [] };
    for (let i = 0; i < 50; i++) {
      stuck.ws.push(await openStuck(base, '/realtime/ws?topics=t', '"welcome"', true));
      stuck.sse.push(await openStuck(base, '/realtime/sse?topics=t', ': open', false));
    }
    for (const s of [...stuck.ws, ...stuck.sse]) sockets.push({ close: () => s.socket.destroy() });
    const head = (await (await fetch(`${base}/poll?topics=t`)).json()) as { cursor: string };
    const polls = Array.from({ length: 300 }, () =>
      fetch(`${base}/long-poll?topics=t&cursor=${head.cursor}&timeout=30`).then(async (res) => ({
        status: res.status,
        body: (await res.json()) as { events: unknown[]; cursor: string; retryMs: number },
      })),
    );
    await until('1,000 connections', async () => (await stats(server)).connections.total === 1000);

    const { exitMs, ownExitMs, code } = await server.terminate();
    console.log(
      `1,000 clients: SIGTERM to exit ${ownExitMs} ms in the process, ${Math.round(exitMs)} ms seen from the test (drainTimeoutMs ${DRAIN_MS})`,
    );
    expect(code).toBe(0);
    expect(ownExitMs).toBeLessThan(OWN_EXIT_BOUND_MS);
    expect(exitMs).toBeLessThan(EXIT_BOUND_MS);

    const delays: number[] = [];
    for (const close of await Promise.all(closes)) {
      expect(close).toMatchObject({ code: 1001, reason: 'unavailable' });
      expect(isDelay(close.retryMs)).toBe(true);
      delays.push(close.retryMs as number);
    }
    for (const text of await Promise.all(streams)) {
      const match = /retry: (\d+)\nevent: close\ndata: \{"code":"unavailable","retryMs":(\d+)\}\n\n$/.exec(
        text,
      );
      expect(match, text.slice(-200)).not.toBeNull();
      expect(match![1]).toBe(match![2]);
      delays.push(Number(match![2]));
    }
    for (const poll of await Promise.all(polls)) {
      expect(poll.status).toBe(200);
      expect(poll.body).toMatchObject({ events: [], cursor: head.cursor });
      expect(isDelay(poll.body.retryMs)).toBe(true);
      delays.push(poll.body.retryMs);
    }
    for (const s of stuck.ws) {
      const told = await toldStuckWs(s);
      expect(told).toMatchObject({ code: 1001, reason: 'unavailable' });
      expect(isDelay(told.retryMs)).toBe(true);
    }
    for (const s of stuck.sse) expect((await toldStuckSse(s)).code).toBe('unavailable');
    // 900 delays, each the client's own: spread across the window, not bunched.
    expect(Math.min(...delays)).toBeLessThan(SPREAD_MS / 10);
    expect(Math.max(...delays)).toBeGreaterThan((SPREAD_MS * 9) / 10);
    expect(new Set(delays).size).toBeGreaterThan(500);
  }, 60_000);
});
