import type { HubStats } from '@tidings/core';
import type { ConformanceConfig, ConformanceMount } from './config.ts';
import type { OperatorAnswer, OperatorCommand } from './operator.ts';

/**
 * What a runtime cannot do, declared once per target. The suite adapts its assertion to each flag
 * (it asserts the documented fallback), so a flag never silently skips a case.
 */
export interface ConformanceCapabilities {
  /**
   * The server sends WebSocket protocol ping frames (and reads protocol pongs). When false (Workers),
   * the suite expects `{"type":"ping"}` text heartbeats and answers them with `{"type":"pong"}`.
   */
  protocolPing: boolean;
  /**
   * The adapter can tell the peer's IP address, so `maxConnectionsPerIp` applies. When false, the
   * suite asserts that connections beyond that limit are accepted (the limit is not applied).
   */
  clientAddress: boolean;
  /**
   * The runtime's WebSocket layer enforces RFC 6455's frame rules, below any adapter: invalid UTF-8
   * in a text frame closes with 1007; a bad close code, an unmasked client frame or a reserved
   * opcode with 1002. Default true. When false (Deno and workerd accept or drop such frames
   * themselves), the suite sends the same frames and asserts that the server keeps serving.
   */
  webSocketFrameChecks?: boolean;
  /**
   * The runtime reports a WebSocket's queued bytes, so a client that stops reading is closed with
   * 1013 at `maxBufferedBytes`. Default true. When false (a Workers WebSocket has no
   * `bufferedAmount`), the suite asserts that the healthy subscriber gets every event and the server
   * keeps serving.
   */
  webSocketBackpressure?: boolean;
  /**
   * The runtime tells the hub when a client goes away while its long poll waits, before a byte of
   * the answer was sent, so the slot is freed at once. Default true. When false (workerd reports a
   * client's going away only once an answer has started), the suite asserts the fallback: the slot
   * is freed when the poll answers, at its timeout.
   */
  clientGoneWhileWaiting?: boolean;
  /**
   * The mount styles (see ConformanceMount) the adapter supports; the suite starts one server for
   * each beyond `root` and checks it. Default `['root']`.
   */
  mounts?: ConformanceMount[];
}

/** A running server started by a target for one config. */
export interface ConformanceServer {
  /** Base URL of the routes, without a trailing slash, e.g. `http://127.0.0.1:41234/realtime`. */
  url: string;
  /**
   * Publishes from the server side and resolves to the event id: `hub.publish` in process, or
   * `POST {url}/publish` with a publisher token for targets in another process.
   */
  publish(topic: string, data: unknown, event?: string): Promise<string>;
  /**
   * The hub's counters (`hub.stats()`): in process, or through a control channel for a hub in
   * another process or runtime. Cases read `dropped` and the connection counts from it.
   */
  stats(): Promise<HubStats>;
  /**
   * Runs an operator's command (`hub.disconnect`, `hub.unsubscribe`, `hub.presence`) on the hub the
   * clients are connected to: `runOperatorCommand(hub, command)` in process, or through a control
   * channel for a hub in another process or runtime.
   */
  operator(command: OperatorCommand): Promise<OperatorAnswer>;
  /** Starts the hub's graceful `close()` (the HTTP server keeps listening) and resolves when it is done. */
  shutdown(): Promise<void>;
  /** Tears everything down: hub, server, child process. Safe to call after `shutdown()` and twice. */
  close(): Promise<void>;
}

/**
 * One adapter on one runtime, as the suite drives it.
 *
 * The host app around the adapter answers every request the adapter hands on with 200 and the
 * JSON `{"app":"<METHOD> <pathname>"}`, so the suite can tell the app's answers from tidings'.
 */
export interface ConformanceTarget {
  /** Shown in the describe block, e.g. `express (node)`. */
  name: string;
  capabilities: ConformanceCapabilities;
  /**
   * Starts a fresh hub built with `toHubOptions(config)` behind a real server on 127.0.0.1, port 0,
   * its adapter mounted as `config.mount` says (default `root`) with the path `/realtime`.
   */
  start(config: ConformanceConfig): Promise<ConformanceServer>;
}
