import { afterEach, expect, vi } from 'vitest';
import type { StreamPort } from '../../src/adapter.ts';
import { toResponse, upgrade } from '../../src/adapter.ts';
import { type AnyHub, createHub, type Hub, type HubOptions, type TopicMap } from '../../src/index.ts';
import { FakeSocket, type FakeSocketOptions } from './fake-socket.ts';

/** The base every test mounts the routes under. */
export const BASE = 'http://hub.test/realtime';

/**
 * Fakes the timers the hub uses (its one ticker, long-poll batching, drain) and `Date`, but
 * leaves `setImmediate` real so `flush()` can let every pending promise run.
 */
export function useFakeClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
}

/** Lets every queued promise and microtask run (one real macrotask turn, a few times over). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

// How long `until` waits, in real time. Not a count of event-loop turns: WebCrypto runs on libuv's
// thread pool, and on a loaded machine a token check outlasted 500 turns (a flake, issue #21).
const UNTIL_MS = 5000;

/**
 * Waits until `condition` holds, turn after real event-loop turn, for at most UNTIL_MS of real time
 * (`performance.now`, which the fake clock leaves alone). For work the fake clock does not drive,
 * such as WebCrypto verifying a token before a request is admitted.
 */
export async function until(condition: () => boolean, what = 'condition'): Promise<void> {
  const deadline = performance.now() + UNTIL_MS;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Advances the fake clock and lets what it triggered settle. */
export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await flush();
}

const open: AnyHub[] = [];

/** Creates a hub that is closed after the test, whatever happens. */
export function makeHub<T extends TopicMap = Record<string, unknown>>(options: HubOptions): Hub<T> {
  const hub = createHub<T>(options);
  open.push(hub as AnyHub);
  return hub;
}

afterEach(async () => {
  const hubs = open.splice(0);
  for (const hub of hubs) {
    const closing = hub.close();
    if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(hub.options.drainTimeoutMs + 1);
    await closing;
  }
  vi.useRealTimers();
});

/** Builds a request to a route under BASE. */
export function request(path: string, init?: RequestInit): Request {
  return new Request(`${BASE}/${path}`, init);
}

/** Answers a request through `hub.handle`, which must give a Response. */
export async function call(hub: AnyHub, path: string, init?: RequestInit): Promise<Response> {
  const response = await hub.handle(request(path, init));
  expect(response).toBeInstanceOf(Response);
  return response!;
}

/** An HTTP error answer's body. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** Asserts an error answer: status, JSON code, and that the hub holds no connection for it. */
export async function expectError(
  hub: AnyHub,
  response: Response | undefined,
  status: number,
  code: string,
): Promise<ErrorBody> {
  expect(response).toBeInstanceOf(Response);
  expect(response!.status).toBe(status);
  expect(response!.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response!.json()) as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(hub.stats().connections.total).toBe(0);
  return body;
}

/** Opens a WebSocket through the upgrade seam with a recording port. */
export async function openWs(
  hub: AnyHub,
  query: string,
  options: FakeSocketOptions & { init?: RequestInit; clientAddress?: string } = {},
): Promise<FakeSocket> {
  const decision = await upgrade(
    hub,
    request(`ws${query}`, options.init),
    options.clientAddress === undefined ? {} : { clientAddress: options.clientAddress },
  );
  if (!decision.accepted) {
    throw new Error(
      `upgrade refused: ${toResponse(decision.answer).status} ${await toResponse(decision.answer).text()}`,
    );
  }
  const socket = new FakeSocket(options);
  socket.handlers = decision.accept(socket.port);
  await flush();
  return socket;
}

/** A StreamPort that records what the hub writes, as the Node adapter's direct writer would receive it. */
export interface FakeStream {
  port: StreamPort;
  status: number | undefined;
  headers: Headers | undefined;
  chunks: string[];
  ended: boolean;
  /** What `bufferedAmount()` reports. */
  buffered: number;
}

export function fakeStream(): FakeStream {
  const stream: FakeStream = {
    status: undefined,
    headers: undefined,
    chunks: [],
    ended: false,
    buffered: 0,
    port: {
      open(status, headers) {
        if (stream.status !== undefined) throw new Error('opened twice');
        stream.status = status;
        stream.headers = new Headers(headers);
      },
      write(chunk) {
        if (stream.status === undefined) throw new Error('write before open');
        if (stream.ended) throw new Error('write after end');
        stream.chunks.push(chunk);
      },
      end() {
        stream.ended = true;
      },
      bufferedAmount: () => stream.buffered,
    },
  };
  return stream;
}

/** The JSON body of a poll or long-poll answer. */
export interface PollBody {
  events: { id: string; topic: string; event: string; data: unknown }[];
  cursor: string;
  reset?: true;
}

/** Reads a 200 poll answer. */
export async function pollBody(response: Response): Promise<PollBody> {
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return (await response.json()) as PollBody;
}

/** The head cursor of a hub, read through a short poll without cursor. */
export async function headOf(hub: AnyHub): Promise<string> {
  return (await pollBody(await call(hub, 'poll?topics=x'))).cursor;
}
