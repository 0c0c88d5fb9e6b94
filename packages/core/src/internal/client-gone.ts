import type { HubRequest } from '../hub-request.ts';
import type { RequestContext } from '../stream-port.ts';

/**
 * Calls `listener` once the client of a held request (a long poll, an SSE stream) goes away,
 * through the adapter's stream port when it can tell, else the request's signal. Returns false
 * when the client is gone already, and then never calls it.
 */
export function onClientGone(request: HubRequest, context: RequestContext, listener: () => void): boolean {
  if (context.stream?.watch) return context.stream.watch(listener);
  const signal = request.signal;
  if (signal.aborted) return false;
  signal.addEventListener('abort', listener, { once: true });
  return true;
}
