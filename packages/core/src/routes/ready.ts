import { TidingsError } from '../errors.ts';
import type { HubAnswer } from '../hub-request.ts';
import { jsonAnswer } from '../internal/http.ts';
import type { HubContext } from '../internal/hub-context.ts';

const READY = jsonAnswer(200, '{"ready":true}');
const DRAINING = jsonAnswer(503, '{"ready":false}');

/**
 * `GET {path}/ready`: the readiness probe for a load balancer, `200 {"ready":true}` while the hub
 * takes new connections, `503 {"ready":false}` from the moment `close()` is called, so the balancer
 * stops sending clients to a draining node. It says nothing about liveness (a draining node is
 * alive and must not be restarted). No credential: it tells only that.
 */
export function handleReady(ctx: HubContext, method: string): HubAnswer {
  if (method !== 'GET' && method !== 'HEAD') throw new TidingsError('method_not_allowed', 'use GET');
  return ctx.draining ? DRAINING : READY;
}
