/**
 * `@tidings/hono/cloudflare`: tidings on Cloudflare Workers. The hub lives in a Durable Object
 * (`TidingsDurableObject`); the Worker's Hono app forwards the realtime routes to it
 * (`tidingsDurable`) and publishes through it (`hubObject(env.TIDINGS).publish(...)`).
 */
export {
  DEFAULT_HUB_NAME,
  type HubObjectStub,
  hubObject,
  type TidingsDurableOptions,
  tidingsDurable,
} from './tidings-durable.ts';
export { TidingsDurableObject } from './tidings-durable-object.ts';
export type { DurableObjectNamespaceLike, WorkersWebSocket } from './workers-types.ts';
