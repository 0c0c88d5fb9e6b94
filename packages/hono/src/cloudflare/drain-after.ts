// Reading more than this after the answer is not worth it: past it the connection may be reset.
const MAX_DRAIN_BYTES = 1_048_576;

/**
 * Runs `answer` on a copy of `request` whose body, once the answer is ready, is read to its end
 * (up to MAX_DRAIN_BYTES) before the answer is returned. workerd resets the connection when it
 * answers while the client is still uploading, so a client sending an oversized publish got
 * ECONNRESET instead of its 413; the hub itself stops reading at `maxMessageBytes`.
 */
export async function drainAfter(
  request: Request,
  answer: (request: Request) => Promise<Response>,
): Promise<Response> {
  if (!request.body) return answer(request);
  const source = request.body.getReader();
  let done = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await source.read();
      if (chunk.done) {
        done = true;
        controller.close();
      } else controller.enqueue(chunk.value);
    },
    // The hub gave up on the body: leave the source to the drain below rather than cancel it.
    cancel() {},
  });
  const response = await answer(new Request(request, { body, duplex: 'half' } as RequestInit));
  let drained = 0;
  try {
    while (!done && drained <= MAX_DRAIN_BYTES) {
      const chunk = await source.read();
      done = chunk.done;
      drained += chunk.value?.byteLength ?? 0;
    }
    if (!done) await source.cancel();
  } catch {
    // The client went away mid-upload: nothing left to protect.
  }
  return response;
}
