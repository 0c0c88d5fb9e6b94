import { defineConformanceSuite } from '@tidings/conformance';
import { childRuntimeTarget, DENO_BINARY } from './support/runtimes.ts';

defineConformanceSuite(
  childRuntimeTarget(
    // Deno's WebSocket has no ping(), so the hub heartbeats with text pings; and Deno passes (or
    // drops without a close frame) some frames RFC 6455 says to close with 1007 or 1002.
    {
      name: 'hono (deno, hono/deno)',
      capabilities: { protocolPing: false, clientAddress: true, webSocketFrameChecks: false },
    },
    'deno-server.ts',
    ['deno'],
    (script, config) => ({
      command: DENO_BINARY,
      args: ['run', '--quiet', '--no-prompt', '--allow-net=127.0.0.1', script, config],
      env: { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    }),
  ),
);
