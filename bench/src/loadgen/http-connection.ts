import { connect, type Socket } from 'node:net';

/** An HTTP/1.1 answer: status and body. */
export interface HttpAnswer {
  status: number;
  body: Buffer;
}

const CRLF_CRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);

/**
 * One keep-alive HTTP/1.1 connection that sends one request at a time, written for the polling
 * clients of the load generator: node:http's client costs more per request than most servers
 * spend answering it, and the load generator must not be what a long-poll benchmark measures.
 * Understands `Content-Length` and `chunked` bodies; anything else (a body ending at close) is
 * refused as an error.
 */
export class HttpConnection {
  readonly #host: string;
  readonly #port: number;
  #socket: Socket | undefined;
  #buffer: Buffer = EMPTY;
  #pending: { resolve(answer: HttpAnswer): void; reject(error: Error): void } | undefined;
  #closed = false;

  constructor(host: string, port: number) {
    this.#host = host;
    this.#port = port;
  }

  /**
   * Sends a request (`body` makes it a POST) and resolves with the answer; `onSent` runs once the
   * request has been handed to the kernel.
   */
  request(path: string, body?: string, onSent?: () => void): Promise<HttpAnswer> {
    if (this.#closed) return Promise.reject(new Error('connection closed'));
    if (this.#pending) return Promise.reject(new Error('a request is already in flight'));
    const socket = this.#socket ?? this.#open();
    const head =
      body === undefined
        ? `GET ${path} HTTP/1.1\r\nHost: ${this.#host}:${this.#port}\r\nConnection: keep-alive\r\n\r\n`
        : `POST ${path} HTTP/1.1\r\nHost: ${this.#host}:${this.#port}\r\nConnection: keep-alive\r\n` +
          `Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      socket.write(head, onSent && (() => onSent()));
    });
  }

  close(): void {
    this.#closed = true;
    this.#socket?.destroy();
    this.#fail(new Error('connection closed'));
  }

  #open(): Socket {
    const socket = connect({ host: this.#host, port: this.#port });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      this.#buffer = EMPTY;
      this.#fail(new Error('server closed the connection'));
    });
    this.#socket = socket;
    return socket;
  }

  #fail(error: Error): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(error);
  }

  #parse(): void {
    const bytes = this.#buffer;
    const headEnd = bytes.indexOf(CRLF_CRLF);
    if (headEnd < 0) return;
    const head = bytes.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    const lower = head.toLowerCase();
    const lengthAt = lower.indexOf('\r\ncontent-length:');
    let body: Buffer | undefined;
    let rest: Buffer;
    const bodyStart = headEnd + 4;
    if (lengthAt >= 0) {
      const lineEnd = lower.indexOf('\r\n', lengthAt + 2);
      const length = Number.parseInt(lower.slice(lengthAt + 17, lineEnd < 0 ? undefined : lineEnd), 10);
      if (bytes.length < bodyStart + length) return;
      body = bytes.subarray(bodyStart, bodyStart + length);
      rest = bytes.subarray(bodyStart + length);
    } else if (lower.includes('\r\ntransfer-encoding: chunked')) {
      const chunks: Buffer[] = [];
      let at = bodyStart;
      for (;;) {
        const lineEnd = bytes.indexOf(CRLF, at);
        if (lineEnd < 0) return;
        const size = Number.parseInt(bytes.toString('latin1', at, lineEnd), 16);
        if (bytes.length < lineEnd + 2 + size + 2) return;
        if (size === 0) {
          at = lineEnd + 4;
          break;
        }
        chunks.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(chunks);
      rest = bytes.subarray(at);
    } else {
      this.#fail(new Error(`answer without a length: ${head.split('\r\n', 1)[0]}`));
      this.#socket?.destroy();
      return;
    }
    this.#buffer = rest.length > 0 ? Buffer.from(rest) : EMPTY;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.resolve({ status, body });
    if (lower.includes('\r\nconnection: close')) this.#socket?.destroy();
  }
}
