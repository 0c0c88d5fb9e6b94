import { createSseParser, type SseMessage } from '@tidings/core/protocol';
import { WebSocket } from 'ws';

const WAIT_MS = 5000;

/** Resolves when `check()` holds, rechecking on every `tick` call; rejects after WAIT_MS. */
function waiter(check: () => boolean, what: string): { promise: Promise<void>; tick: () => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
  const tick = () => {
    if (!check()) return;
    clearTimeout(timer);
    resolve();
  };
  tick();
  return { promise, tick };
}

/** An SSE stream read with fetch and the protocol's own parser. */
export interface SseReader {
  response: Response;
  events: SseMessage[];
  /** Resolves once `count` events (of any name) arrived. */
  waitForEvents(count: number): Promise<SseMessage[]>;
  close(): void;
}

/** Opens `url` as an event stream; resolves once the headers are in. */
export async function readSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: SseMessage[] = [];
  const ticks = new Set<() => void>();
  const parser = createSseParser({
    onEvent: (message) => {
      events.push(message);
      for (const tick of ticks) tick();
    },
  });
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
        parser.push(decoder.decode(chunk, { stream: true }));
    } catch {
      // Closed by the test.
    }
  })();
  return {
    response,
    events,
    async waitForEvents(count) {
      const w = waiter(() => events.length >= count, `${count} SSE events`);
      ticks.add(w.tick);
      await w.promise.finally(() => ticks.delete(w.tick));
      return events;
    },
    close: () => controller.abort(),
  };
}

/** A `ws` client that records parsed messages. */
export interface WsReader {
  socket: WebSocket;
  messages: { type: string; [key: string]: unknown }[];
  waitFor(type: string): Promise<{ type: string; [key: string]: unknown }>;
  close(): void;
}

/** Opens a WebSocket; resolves once open, rejects with the HTTP status when refused. */
export function readWs(url: string, headers: Record<string, string> = {}): Promise<WsReader> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), { headers });
  const messages: WsReader['messages'] = [];
  const ticks = new Set<() => void>();
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const tick of ticks) tick();
  });
  socket.on('error', () => {});
  const reader: WsReader = {
    socket,
    messages,
    async waitFor(type) {
      const w = waiter(() => messages.some((m) => m.type === type), `a "${type}" message`);
      ticks.add(w.tick);
      await w.promise.finally(() => ticks.delete(w.tick));
      return messages.find((m) => m.type === type)!;
    },
    close: () => socket.terminate(),
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(reader));
    socket.once('unexpected-response', (_req, res) => {
      reject(new Error(`refused with ${res.statusCode}`));
      socket.terminate();
    });
  });
}
