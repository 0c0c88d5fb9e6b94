/**
 * `@tidings/node`: the Node bridge shared by the Express, Koa and Hono-on-Node adapters, and usable
 * with a bare `node:http` server. Answers the hub's routes under one path without Fetch objects,
 * takes the fast path for SSE and WebSocket fan-out, and handles WebSocket upgrades with `ws`.
 */
export { type ClientAddress, forwardedFor, socketAddress } from './client-address.ts';
export {
  createNodeHandler,
  type NodeHandler,
  type NodeHandlerOptions,
  type NodeMount,
} from './create-node-handler.ts';
export { type Served, type ServeOptions, serve } from './serve.ts';
export { type AttachWebSocketOptions, attachWebSocket, type WebSocketAttachment } from './websocket.ts';
