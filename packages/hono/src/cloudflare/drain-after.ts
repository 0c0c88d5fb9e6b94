// Reading more than this, or for longer, after the answer is ready is not worth it: past either
// bound the answer goes out anyway, and workerd may reset the connection of a client still sending.
const MAX_DRAIN_BYTES = 1_048_576;
const MAX_DRAIN_MS = 2000;

/**
 * Runs `answer` on a copy of `request` whose body, once the answer is ready, is read to its end
 * (up to MAX_DRAIN_BYTES and MAX_DRAIN_MS) before the answer is returned. workerd resets the connection when an
 * answer goes out before the request body was read to its end, so a client sending an oversized
 * publish would get ECONNRESET instead of its 413 (the hub stops reading at `maxMessageBytes`),
 * and so would the next request a client sent on that kept-alive connection.
 *
 * Every read of the body goes through one queue: workerd's request streams allow a single pending
 * read, and a second one throws, which left the body unread (and the connection reset) whenever
 * the copy's read was still waiting for bytes when the drain began.
 */
export async function drainAfter(
  request: Request,
  answer: (request: Request) => Promise<Response>,
): Promise<Response> {
  if (!request.body) return answer(request);
  const source = request.body.getReader();
  let queue: Promise<unknown> = Promise.resolve();
  const read = (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    const next = queue.then(() => source.read());
    queue = next.catch(() => {});
    return next;
  };
  let done = false;
  let abandoned = false;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const chunk = await read();
        if (abandoned) done ||= chunk.done;
        else if (chunk.done) {
          done = true;
          controller.close();
        } else controller.enqueue(chunk.value);
      },
      // The hub gave up on the body: leave the source to the drain below rather than cancel it.
      cancel() {
        abandoned = true;
      },
    },
    // Read only when the hub asks: nothing is pulled ahead into a copy it may abandon.
    { highWaterMark: 0 },
  );
  const response = await answer(new Request(request, { body, duplex: 'half' } as RequestInit));
  let drained = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), MAX_DRAIN_MS);
  });
  try {
    while (!done && drained <= MAX_DRAIN_BYTES) {
      // A client that stops sending mid-body gets its answer after MAX_DRAIN_MS, not never.
      const chunk = await Promise.race([read(), late]);
      if (!chunk) break;
      done = chunk.done;
      drained += chunk.value?.byteLength ?? 0;
    }
    if (!done) await source.cancel();
  } catch {
    // The client went away mid-upload: nothing left to protect.
  } finally {
    clearTimeout(timer);
  }
  return response;
}
