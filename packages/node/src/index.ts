/**
 * `@tidings/node`: the Node bridge shared by the Express and Koa adapters, and usable with a bare
 * `node:http` server. Converts requests, writes answers with backpressure, takes the fast path for
 * SSE and WebSocket fan-out, and handles WebSocket upgrades with `ws`.
 */
export { type ClientAddress, forwardedFor, socketAddress } from './client-address.ts';
export { corkForTick } from './cork.ts';
export { createNodeHandler, type NodeHandler, type NodeHandlerOptions } from './create-node-handler.ts';
export { createNodeStreamPort, type NodeStreamPortOptions } from './node-stream-port.ts';
export { NodeRequestView } from './request-view.ts';
export { type Served, type ServeOptions, serve } from './serve.ts';
export { toRequest } from './to-request.ts';
export { type AttachWebSocketOptions, attachWebSocket, type WebSocketAttachment } from './websocket.ts';
export { writeAnswer } from './write-answer.ts';
export { writeResponse } from './write-response.ts';
