import type { EventRecord } from '../event-record.ts';
import type { StreamPort } from '../stream-port.ts';

const encoder = new TextEncoder();
// The stream's own queue limit: past it `pull` stops being called until the reader takes some.
// The slow-consumer limit itself is the hub's maxBufferedBytes, read off the queue's size.
const HIGH_WATER_MARK = 16_384;

/** A StreamPort over a web `ReadableStream`: the portable path for runtimes without a direct writer. */
export interface ReadableStreamPort {
  port: StreamPort;
  /** The answer, once `open` has been called. */
  response(): Response;
}

/** Creates the portable stream port; `onCancel` runs when the reader goes away. */
export function createReadableStreamPort(onCancel: () => void): ReadableStreamPort {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let init: ResponseInit = {};
  let done = false;
  // Replays waiting for the reader: woken when it takes from the queue (the stream then pulls) or leaves.
  let drainWaiters: (() => void)[] = [];
  const wake = () => {
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve of waiters) resolve();
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      // Called whenever the queue is under its mark after the reader took a chunk.
      pull: wake,
      cancel() {
        done = true;
        wake();
        onCancel();
      },
    },
    { highWaterMark: HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
  );
  // desiredSize is the mark minus the queued bytes; null once the stream errored.
  const queued = () => Math.max(0, HIGH_WATER_MARK - (controller.desiredSize ?? HIGH_WATER_MARK));
  const port: StreamPort = {
    open(status, headers) {
      init = { status, headers };
    },
    write(chunk: string, record?: EventRecord) {
      if (!done) controller.enqueue(record ? record.sseBytes : encoder.encode(chunk));
    },
    end() {
      if (done) return;
      done = true;
      wake();
      controller.close();
    },
    bufferedAmount: queued,
    waitForDrain() {
      if (done || queued() === 0) return Promise.resolve();
      return new Promise<void>((resolve) => drainWaiters.push(resolve));
    },
    destroy() {
      // Erroring the stream drops what is still queued; the runtime then aborts the answer.
      try {
        controller.error(new Error('the client was cut as a slow consumer'));
      } catch {
        // Already fully read and closed: nothing left to drop.
      }
    },
  };
  return { port, response: () => new Response(body, init) };
}
