import type { ConformanceTarget } from '@tidings/conformance';
import { BUN_BINARY, childRuntimeTarget, DENO_BINARY } from './runtimes.ts';
import { createWorkerBundler, startWorker, workerServer } from './workerd-target.ts';

// Each factory registers an afterAll (the bundle's directory): call it at the top of a test file.

/** Hono on Bun (`hono/bun`), in a child process. */
export function bunTarget(): ConformanceTarget {
  return childRuntimeTarget(
    // Hono's Bun events never report a protocol pong, so the hub heartbeats with text pings.
    {
      name: 'hono (bun, hono/bun)',
      capabilities: { protocolPing: false, clientAddress: true, mounts: ['root', 'prefixed', 'mismatch'] },
    },
    'bun-server.ts',
    ['bun'],
    (script, config) => ({
      command: BUN_BINARY,
      args: [script, config],
      env: { BUN_CONFIG_NO_CLEAR_TERMINAL_ON_RELOAD: '1' },
    }),
  );
}

/** Hono on Deno (`hono/deno`), in a child process. */
export function denoTarget(): ConformanceTarget {
  return childRuntimeTarget(
    // Deno's WebSocket has no ping(), so the hub heartbeats with text pings; and Deno passes (or
    // drops without a close frame) some frames RFC 6455 says to close with 1007 or 1002.
    {
      name: 'hono (deno, hono/deno)',
      capabilities: {
        protocolPing: false,
        clientAddress: true,
        webSocketFrameChecks: false,
        mounts: ['root', 'prefixed', 'mismatch'],
      },
    },
    'deno-server.ts',
    ['deno'],
    (script, config) => ({
      command: DENO_BINARY,
      args: ['run', '--quiet', '--no-prompt', '--allow-net=127.0.0.1', script, config],
      env: { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    }),
  );
}

/** The Durable Object host in workerd, through Miniflare. */
export function workerdTarget(): ConformanceTarget {
  const bundled = createWorkerBundler();
  return {
    // Every request goes through the Worker to one Durable Object, so publish and subscribers always
    // meet across requests. Workers cannot send protocol ping frames (the hub heartbeats with text
    // pings), a Workers WebSocket reports no bufferedAmount, workerd accepts some frames RFC 6455
    // says to close with 1002 (an unmasked one, a close with code 1005), and it reports a client that
    // leaves only once an answer has started (a waiting long poll keeps its slot until it answers).
    name: 'hono (workerd via miniflare, Durable Object host)',
    capabilities: {
      protocolPing: false,
      clientAddress: true,
      webSocketFrameChecks: false,
      webSocketBackpressure: false,
      clientGoneWhileWaiting: false,
      mounts: ['root', 'prefixed', 'mismatch'],
    },
    async start(config) {
      return workerServer(await startWorker(await bundled(), config));
    },
  };
}
