// The few Workers runtime types this package uses, declared here so its typecheck needs neither
// @cloudflare/workers-types nor its globals (which clash with the DOM lib). They match the
// runtime's own declarations for the members used.

declare module 'cloudflare:workers' {
  /** The base class of Durable Objects with RPC methods. */
  export abstract class DurableObject<Env = unknown> {
    protected ctx: import('./workers-types.ts').DurableObjectStateLike;
    protected env: Env;
    constructor(ctx: import('./workers-types.ts').DurableObjectStateLike, env: Env);
  }
}

declare class WebSocketPair {
  0: import('./workers-types.ts').WorkersWebSocket;
  1: import('./workers-types.ts').WorkersWebSocket;
}
