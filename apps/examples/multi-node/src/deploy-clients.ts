import { createClient } from '@tidings/client';
import { createRecorder, type Recorder } from '@tidings/testing/recorder';
import { EventSource } from 'eventsource';
import { WebSocket } from 'ws';

/**
 * The kinds of client in a deploy simulation: `@tidings/client` starting on WebSocket (its default
 * transports) or on SSE, a plain `EventSource` that knows nothing of tidings (it follows `retry:`
 * and `Last-Event-ID` by itself), and a plain `ws` WebSocket with the few lines of reconnect logic
 * the protocol asks for (the `close` message's `retryMs`, a refusal's `Retry-After`, the cursor).
 */
export type ClientKind = 'tidings-ws' | 'tidings-sse' | 'eventsource' | 'websocket';

/** One simulated client. */
export interface SimClient {
  kind: ClientKind;
  recorder: Recorder;
  /** When (performance.now()) it last opened a connection the server kept: its latest arrival. */
  openedAt(): number | undefined;
  /**
   * The first delay it waited before reconnecting, in ms: the server's `retryMs` (plain clients), or
   * the client's `reconnecting` delay (`@tidings/client`: the server's delay plus its backoff step).
   */
  toldMs(): number | undefined;
  close(): void;
}

/** Opens one client of `kind` on `base` (the balancer) for topic `chat`. */
export function openSimClient(kind: ClientKind, base: string): SimClient {
  const recorder = createRecorder();
  const url = `${base}/realtime`;
  let openedAt: number | undefined;
  let toldMs: number | undefined;
  if (kind === 'tidings-ws' || kind === 'tidings-sse') {
    const client = createClient({
      url,
      topics: ['chat'],
      sharedConnection: false,
      transports: kind === 'tidings-ws' ? undefined : ['sse', 'long-poll'],
    });
    recorder.attach(client);
    client.on('open', () => {
      openedAt = performance.now();
    });
    client.on('reconnecting', (info) => {
      toldMs ??= info.delayMs;
    });
    return { kind, recorder, openedAt: () => openedAt, toldMs: () => toldMs, close: () => client.close() };
  }
  if (kind === 'eventsource') {
    const source = new EventSource(`${url}/sse?topics=chat`);
    source.onmessage = (e) => recorder.event(JSON.parse(e.data));
    source.addEventListener('reset', (e) => recorder.reset(JSON.parse(e.data)));
    // A refused attempt is a 200 stream that only says `close`: the arrival is the stream that stays.
    source.onopen = () => {
      openedAt = performance.now();
    };
    source.addEventListener('close', (e) => {
      openedAt = undefined;
      toldMs ??= JSON.parse(e.data).retryMs;
    });
    return { kind, recorder, openedAt: () => openedAt, toldMs: () => toldMs, close: () => source.close() };
  }
  let socket: WebSocket | undefined;
  let cursor: string | undefined;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connect = () => {
    const query = `topics=chat${cursor ? `&cursor=${cursor}` : ''}`;
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?${query}`);
    socket = ws;
    let retryMs = 1000;
    ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'welcome') {
        openedAt = performance.now();
        cursor ??= message.cursor;
      } else if (message.type === 'event') {
        const { type: _type, ...envelope } = message;
        recorder.event(envelope);
        cursor = envelope.id;
      } else if (message.type === 'reset') {
        recorder.reset(message);
        if (!message.topics) cursor = message.cursor;
      } else if (message.type === 'close') {
        retryMs = message.retryMs;
        toldMs ??= retryMs;
      }
    });
    // A refused upgrade (the admission throttle, a draining node): its Retry-After, in seconds.
    ws.on('unexpected-response', (_req, res) => {
      retryMs = Number(res.headers['retry-after'] ?? 1) * 1000;
      res.resume();
      ws.terminate();
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      if (!closed) timer = setTimeout(connect, retryMs);
    });
  };
  connect();
  return {
    kind,
    recorder,
    openedAt: () => openedAt,
    toldMs: () => toldMs,
    close() {
      closed = true;
      clearTimeout(timer);
      socket?.close();
    },
  };
}
