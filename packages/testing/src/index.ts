/**
 * `@tidings/testing`: the kit to test real-time features built on tidings. A fault proxy (Node) to
 * put between real clients and a real server, a server-side connection cutter (Node), a TCP fault
 * proxy for the services behind the server (Redis, PostgreSQL; Node), a test hub on
 * a manual clock, and a recorder that checks a client saw every event once, in order, or a reset.
 * It imports no test framework; its own tests run it under vitest and node:test.
 */

export {
  CONNECTION_CUTTER_DEFAULTS,
  type ConnectionCutter,
  type ConnectionCutterOptions,
  type ConnectionCutterStats,
  type CutOptions,
  createConnectionCutter,
  type RequestMatcher,
  tokenSubject,
} from './cutter/create-connection-cutter.ts';
export * from './hub/index.ts';
export {
  type BufferOptions,
  createFaultProxy,
  FAULT_PROXY_DEFAULTS,
  type FaultProxy,
  type FaultProxyOptions,
  type ProxyPath,
  type ProxyRoute,
  type StatusFault,
  type StatusOptions,
} from './proxy/create-fault-proxy.ts';
export type { FaultProxyStats } from './proxy/fault-proxy-stats.ts';
export * from './recorder/index.ts';
export {
  createTcpFaultProxy,
  type TcpFaultProxy,
  type TcpFaultProxyOptions,
} from './tcp/create-tcp-fault-proxy.ts';
