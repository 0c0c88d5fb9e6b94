import { defineConformanceSuite } from '@tidings/conformance';
import { BUN_BINARY, childRuntimeTarget } from './support/runtimes.ts';

defineConformanceSuite(
  childRuntimeTarget(
    // Hono's Bun events never report a protocol pong, so the hub heartbeats with text pings.
    { name: 'hono (bun, hono/bun)', capabilities: { protocolPing: false, clientAddress: true } },
    'bun-server.ts',
    ['bun'],
    (script, config) => ({
      command: BUN_BINARY,
      args: [script, config],
      env: { BUN_CONFIG_NO_CLEAR_TERMINAL_ON_RELOAD: '1' },
    }),
  ),
);
