import { TidingsError } from '../errors.ts';
import type { HubAnswer, HubRequest } from '../hub-request.ts';
import { jsonAnswer, readBody } from '../internal/http.ts';
import type { HubContext } from '../internal/hub-context.ts';
import { isValidTopic } from '../protocol/topics.ts';
import type { RequestContext } from '../stream-port.ts';

/**
 * `POST {base}/publish`: `{"topic","event"?,"data"}` from an authorized principal → `202 {"id"}`.
 * Counted against `maxHttpPublishesPerSecond` per principal id, else per client address, before the
 * body is read; callers with neither share one count.
 */
export async function handlePublish(
  ctx: HubContext,
  request: HubRequest,
  url: URL,
  context: RequestContext,
): Promise<HubAnswer> {
  const principal = await ctx.auth.authenticate(request, url);
  const caller = principal.id !== undefined ? `u:${principal.id}` : `a:${context.clientAddress ?? ''}`;
  if (!ctx.publishRate.take(caller, Date.now())) {
    throw new TidingsError('rate_limited', 'too many publishes', 1);
  }
  const text = await readBody(request, ctx.options.maxMessageBytes);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new TidingsError('bad_request', 'body must be JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TidingsError('bad_request', 'body must be a JSON object');
  }
  const { topic, event, data } = body as Record<string, unknown>;
  if (!('data' in body)) throw new TidingsError('bad_request', 'data is required');
  if (!isValidTopic(topic)) throw new TidingsError('bad_request', 'invalid topic name');
  await ctx.auth.authorize(principal, [topic], 'publish');
  const record = await ctx.publish(topic, data, event ?? undefined);
  return jsonAnswer(202, JSON.stringify({ id: record.id }));
}
