import type { EventRecord } from '../event-record.ts';
import type { StreamPort } from '../stream-port.ts';

const encoder = new TextEncoder();
// Bytes the stream queues before `bufferedAmount` starts to grow; the limit itself is the hub's maxBufferedBytes.
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
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      cancel() {
        done = true;
        onCancel();
      },
    },
    { highWaterMark: HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
  );
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
      controller.close();
    },
    bufferedAmount() {
      return Math.max(0, HIGH_WATER_MARK - (controller.desiredSize ?? 0));
    },
  };
  return { port, response: () => new Response(body, init) };
}
