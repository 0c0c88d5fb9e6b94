import type { SocketHandlers, SocketPort } from '../../src/adapter.ts';

/** A recorded close of a fake socket. */
export interface CloseRecord {
  code: number;
  reason: string;
}

/** Options of a fake socket. */
export interface FakeSocketOptions {
  /** Offer protocol ping frames (`port.ping`). Default false: the hub must send `{"type":"ping"}` text. */
  ping?: boolean;
  /** Offer `port.terminate`. Default true. */
  terminate?: boolean;
  /** Report the socket closed right after `close()`, as a real socket does after the handshake. Default true. */
  autoClose?: boolean;
}

/**
 * A SocketPort that records what the hub sends. The core only talks to this interface, so a
 * recording port is the real boundary here (the adapters test real sockets).
 */
export class FakeSocket {
  readonly frames: string[] = [];
  closes: CloseRecord[] = [];
  pings = 0;
  terminated = false;
  /** What `bufferedAmount()` reports; raise it to play a slow consumer. */
  buffered = 0;
  handlers: SocketHandlers | undefined;
  readonly port: SocketPort;

  constructor(options: FakeSocketOptions = {}) {
    const autoClose = options.autoClose ?? true;
    const port: SocketPort = {
      send: (text) => {
        if (this.isClosed) throw new Error('send after close');
        this.frames.push(text);
      },
      close: (code, reason) => {
        this.closes.push({ code, reason });
        if (autoClose) queueMicrotask(() => this.handlers?.closed());
      },
      bufferedAmount: () => this.buffered,
    };
    if (options.ping) {
      port.ping = () => {
        this.pings++;
      };
    }
    if (options.terminate ?? true) {
      port.terminate = () => {
        this.terminated = true;
      };
    }
    this.port = port;
  }

  get isClosed(): boolean {
    return this.closes.length > 0 || this.terminated;
  }

  /** The first close, if any. */
  get closed(): CloseRecord | undefined {
    return this.closes[0];
  }

  /** Every frame parsed as JSON. */
  messages(): Record<string, unknown>[] {
    return this.frames.map((f) => JSON.parse(f) as Record<string, unknown>);
  }

  /** Parsed frames of one type. */
  ofType(type: string): Record<string, unknown>[] {
    return this.messages().filter((m) => m.type === type);
  }

  /** Ids of the `event` frames, in order. */
  eventIds(): string[] {
    return this.ofType('event').map((m) => m.id as string);
  }

  /** Sends a client text message (an object is JSON-encoded). */
  send(message: unknown): void {
    this.handlers!.message(typeof message === 'string' ? message : JSON.stringify(message));
  }
}
