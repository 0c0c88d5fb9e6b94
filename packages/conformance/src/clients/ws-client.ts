import { WebSocket } from 'ws';
import { Inbox, WAIT_MS } from './inbox.ts';

/** A parsed server message. */
export type WsMessage = { type: string; [key: string]: unknown };

/** A `ws` client with everything it receives recorded. */
export interface WsClient {
  socket: WebSocket;
  messages: Inbox<WsMessage>;
  /** Protocol ping frames received. */
  pings: Inbox<Buffer>;
  /** Resolves with the close code and reason once the socket is closed. */
  closed: Promise<{ code: number; reason: string }>;
  /** `closed`, but rejects when the socket is still open after `timeoutMs`. */
  waitForClose(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** Messages of one type. */
  ofType(type: string): WsMessage[];
  /** Waits for `count` messages of `type` in total. */
  waitFor(type: string, count?: number, timeoutMs?: number): Promise<WsMessage[]>;
  close(): void;
}

/** An upgrade the server refused with an HTTP answer. */
export class UpgradeRefused extends Error {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;

  constructor(status: number, headers: Record<string, string | string[] | undefined>, body: string) {
    super(`upgrade refused with ${status}`);
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

/** Options of `openWs`. */
export interface OpenWsOptions {
  headers?: Record<string, string>;
  /**
   * Answer pings automatically, as a real client does: protocol ping frames (the `ws` default) and,
   * from servers that cannot send those, `{"type":"ping"}` messages with `{"type":"pong"}`.
   */
  autoPong?: boolean;
  /** Largest message the client accepts. Default: ws's 100 MiB. */
  maxPayload?: number;
}

/** Opens a WebSocket; resolves once open, rejects with `UpgradeRefused` when the server answers with a status. */
export function openWs(url: string, options: OpenWsOptions = {}): Promise<WsClient> {
  const autoPong = options.autoPong ?? true;
  const socket = new WebSocket(url.replace(/^http/, 'ws'), {
    headers: options.headers,
    autoPong,
    perMessageDeflate: false,
    ...(options.maxPayload ? { maxPayload: options.maxPayload } : {}),
  });
  const messages = new Inbox<WsMessage>();
  const pings = new Inbox<Buffer>();
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => {
      messages.end();
      pings.end();
      resolve({ code, reason: reason.toString() });
    });
  });
  socket.on('message', (data, binary) => {
    const message = binary ? { type: '(binary)' } : (JSON.parse(String(data)) as WsMessage);
    messages.push(message);
    if (autoPong && message.type === 'ping') socket.send('{"type":"pong"}');
  });
  socket.on('ping', (data) => pings.push(data));
  // Errors after the open (a server closing with a protocol error) surface as `closed`; never crash the runner.
  socket.on('error', () => {});
  const client: WsClient = {
    socket,
    messages,
    pings,
    closed,
    waitForClose(timeoutMs = WAIT_MS) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the WebSocket was still open after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      return Promise.race([closed, timeout]).finally(() => clearTimeout(timer));
    },
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    ofType: (type) => messages.items.filter((m) => m.type === type),
    async waitFor(type, count = 1, timeoutMs) {
      return messages.count(count, (m) => m.type === type, `WebSocket "${type}" messages`, timeoutMs);
    },
    close: () => {
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close();
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => {
        reject(new UpgradeRefused(response.statusCode ?? 0, response.headers, body));
        socket.terminate();
      });
      response.on('error', () =>
        reject(new UpgradeRefused(response.statusCode ?? 0, response.headers, body)),
      );
    });
    socket.once('error', (error) => reject(error));
  });
}

/** Opens a WebSocket that must be refused; resolves to the refusal. */
export async function refusedWs(url: string, options: OpenWsOptions = {}): Promise<UpgradeRefused> {
  try {
    const client = await openWs(url, options);
    client.close();
  } catch (error) {
    if (error instanceof UpgradeRefused) return error;
    throw error;
  }
  throw new Error(`expected the upgrade of ${url} to be refused, but it was accepted`);
}
