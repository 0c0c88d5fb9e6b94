/**
 * `@tidings/conformance` (private): one protocol suite every adapter runs. An adapter's test file
 * describes how to start its server (`ConformanceTarget`) and calls `defineConformanceSuite`.
 * The clients and harness helpers are exported too, for an adapter's own extra cases.
 */

export { type HostAppAnswer, hostAppBody } from './cases/mount-cases.ts';
export { Inbox, WAIT_MS } from './clients/inbox.ts';
export {
  hostOf,
  openRaw,
  parseRawResponse,
  type RawConnection,
  rawExchange,
  targetOf,
} from './clients/raw-socket.ts';
export { encodeFrame, OPCODES, openRawWebSocket, type RawWebSocket } from './clients/raw-websocket.ts';
export { openSse, type SseStream } from './clients/sse-client.ts';
export { openWs, refusedWs, UpgradeRefused, type WsClient } from './clients/ws-client.ts';
export {
  CONFORMANCE_SECRET,
  type ConformanceConfig,
  type ConformanceMount,
  type ConformanceRole,
  conformanceAuthorize,
  toHubOptions,
} from './config.ts';
export { defineFrameSuite, FRAME_CONFIG } from './frames/frame-suite.ts';
export { FRAME_RUNTIMES, type FrameRuntime } from './frames/frame-table.ts';
export {
  baseConfig,
  type Harness,
  openWitness,
  type TokenOptions,
  uniqueTopic,
  useCleanup,
  useServer,
  type Witness,
} from './harness.ts';
export {
  type OperatorAnswer,
  type OperatorCommand,
  type OperatorHub,
  runOperatorCommand,
} from './operator.ts';
export { defineConformanceSuite, MAIN_CONFIG, SUITE_CONFIGS } from './suite.ts';
export type { ConformanceCapabilities, ConformanceServer, ConformanceTarget } from './target.ts';
