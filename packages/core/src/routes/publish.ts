import { isDuplicatePublish } from '../broker.ts';
import { TidingsError } from '../errors.ts';
import type { HubAnswer, HubRequest } from '../hub-request.ts';
import { jsonAnswer, readBody } from '../internal/http.ts';
import type { HubContext } from '../internal/hub-context.ts';
import { scopeIdempotencyKey } from '../internal/idempotency-scope.ts';
import { isValidIdempotencyKey, isValidTopic } from '../protocol/topics.ts';
import type { RequestContext } from '../stream-port.ts';

/**
 * `POST {path}/publish`: `{"topic","event"?,"data"}` from an authorized principal → `202 {"id"}`.
 * Counted against `maxHttpPublishesPerSecond` per principal id, else per client address, before the
 * body is read; callers with neither share one count. With an `Idempotency-Key` header, a repeat
 * within the window answers `202 {"id","duplicate":true}` with the first publish's id.
 */
export async function handlePublish(
  ctx: HubContext,
  request: HubRequest,
  url: URL,
  context: RequestContext,
): Promise<HubAnswer> {
  const principal = await ctx.authenticate(request, url, 'publish');
  const caller = principal.id !== undefined ? `u:${principal.id}` : `a:${context.clientAddress ?? ''}`;
  if (!ctx.httpPublishRate.take(caller, ctx.clock.now())) {
    throw new TidingsError('rate_limited', 'too many publishes', { retryAfterMs: 1000 });
  }
  const key = request.headers.get('idempotency-key') ?? undefined;
  if (key !== undefined && !isValidIdempotencyKey(key)) {
    throw new TidingsError(
      'bad_request',
      'Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ : / -',
    );
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
  await ctx.auth.authorize(principal, [topic], 'publish', 'publish');
  const scoped = key === undefined ? undefined : scopeIdempotencyKey(principal, key);
  const result = await ctx.publish(topic, data, event ?? undefined, 'publish', undefined, scoped);
  return jsonAnswer(
    202,
    JSON.stringify(isDuplicatePublish(result) ? { id: result.id, duplicate: true } : { id: result.id }),
  );
}
