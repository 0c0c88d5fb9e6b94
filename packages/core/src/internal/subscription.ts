import type { EventPosition } from '../event-id.ts';
import type { HubRequest } from '../hub-request.ts';
import type { Principal } from '../principal.ts';
import type { HubContext } from './hub-context.ts';
import { readCursor, readTopics } from './query.ts';

/** What a subscribing request asks for, and who asks. */
export interface Subscription<P = Principal> {
  topics: string[];
  cursor: EventPosition | undefined;
  principal: P;
}

/**
 * The one preamble of every subscribing route (poll, long-poll, sse, ws): topics (required except on
 * a WebSocket, which may subscribe later), the cursor (for SSE the `Last-Event-ID` a browser's
 * EventSource sends on reconnect wins over `cursor`), authentication, then permission for every topic.
 * Cheap checks first, so bad input never costs an `authenticate` call. A WebSocket upgrade without
 * any credential gets no principal (undefined): it may still authenticate in its first message,
 * and its topics are authorized then.
 */
export async function readSubscription(
  ctx: HubContext,
  request: HubRequest,
  url: URL,
  route: 'ws',
): Promise<Subscription<Principal | undefined>>;
export async function readSubscription(
  ctx: HubContext,
  request: HubRequest,
  url: URL,
  route: 'poll' | 'long-poll' | 'sse',
): Promise<Subscription>;
export async function readSubscription(
  ctx: HubContext,
  request: HubRequest,
  url: URL,
  route: 'poll' | 'long-poll' | 'sse' | 'ws',
): Promise<Subscription<Principal | undefined>> {
  const topics = readTopics(url, ctx.options.maxTopicsPerConnection, route !== 'ws');
  const lastEventId = route === 'sse' ? request.headers.get('last-event-id') : null;
  const cursor = readCursor(lastEventId || url.searchParams.get('cursor'));
  // Awaited only when pending: an anonymous hub without an async `authorize` waits for nothing.
  let principal =
    route === 'ws' ? ctx.authenticateOrWait(request, url, route) : ctx.authenticate(request, url, route);
  if (principal instanceof Promise) principal = await principal;
  if (principal) {
    const allowed = ctx.auth.authorize(principal, topics, 'subscribe', route);
    if (allowed) await allowed;
  }
  return { topics, cursor, principal };
}
