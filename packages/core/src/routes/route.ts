import { TidingsError } from '../errors.ts';
import type { HubAnswer, HubRequest } from '../hub-request.ts';
import { requestUrl } from '../internal/http.ts';
import type { HubContext } from '../internal/hub-context.ts';
import type { RequestContext } from '../stream-port.ts';
import { handleLongPoll } from './long-poll.ts';
import { handlePoll } from './poll.ts';
import { handlePublish } from './publish.ts';
import { handleReady } from './ready.ts';
import { ROUTE_NAMES, routeName } from './route-name.ts';
import { handleSse } from './sse.ts';

/**
 * Answers an HTTP route of the protocol, chosen by the last path segment: a finished answer, the
 * SSE `Response` (without a stream port), or undefined (the SSE answer went through the port).
 * Throws (or rejects) for bad input; the caller awaits it in a try and turns either into the error
 * answer. Not async itself: the route handlers are, and one more promise per request is not free.
 */
export function route(
  ctx: HubContext,
  request: HubRequest,
  context: RequestContext,
): Promise<HubAnswer | Response | undefined> {
  const url = requestUrl(request);
  const name = routeName(url.pathname);
  if (!ROUTE_NAMES.has(name)) throw new TidingsError('not_found', 'no such route');
  const method = request.method;
  if (name === 'ready') return Promise.resolve(handleReady(ctx, method));
  // SSE says a refusal inside its stream (see handleSse), where an EventSource can read it.
  if (ctx.draining && name !== 'sse') throw ctx.shuttingDown();
  if (name === 'publish') {
    if (method !== 'POST') throw new TidingsError('method_not_allowed', 'use POST');
    return handlePublish(ctx, request, url, context);
  }
  if (method !== 'GET' && method !== 'HEAD') throw new TidingsError('method_not_allowed', 'use GET');
  if (name === 'poll') return handlePoll(ctx, request, url);
  if (name === 'long-poll') {
    // HEAD never waits: the headers of the answer a GET would get at once, without taking a slot.
    if (method === 'HEAD') return handlePoll(ctx, request, url, 'long-poll');
    return handleLongPoll(ctx, request, url, context);
  }
  if (name === 'sse') return handleSse(ctx, request, url, context);
  throw new TidingsError('bad_request', 'a WebSocket upgrade is required');
}
