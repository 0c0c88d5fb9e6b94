import { baseConfig, CONFORMANCE_SECRET, type ConformanceServer } from '@tidings/conformance';
import { signJwt } from '@tidings/core';
import { afterAll, expect, it } from 'vitest';
import { readSse } from './support/clients.ts';
import { BUN_BINARY, childRuntimeTarget } from './support/runtimes.ts';

// Bun closes connections idle for its `idleTimeout`; SSE streams and long polls are idle between
// events by design, so the adapter lifts the limit for them. Here the limit is Bun's smallest, 1 s,
// which Bun enforces on a 4 s tick: without the lift both are cut after about 4 s.
const target = childRuntimeTarget(
  { name: 'hono (bun, idleTimeout 1 s)', capabilities: { protocolPing: false, clientAddress: true } },
  'bun-server.ts',
  ['bun'],
  (script, config) => ({ command: BUN_BINARY, args: [script, config], env: { IDLE_TIMEOUT_S: '1' } }),
);
let server: ConformanceServer | undefined;
afterAll(() => server?.close());

it('keeps SSE streams and long polls open past Bun’s idleTimeout', async () => {
  server = await target.start(baseConfig({ sseHeartbeatMs: 60_000 }));
  const exp = Math.floor(Date.now() / 1000) + 600;
  const headers = {
    authorization: `Bearer ${await signJwt({ sub: 'u', role: 'subscriber', exp }, CONFORMANCE_SECRET)}`,
  };
  const sse = await readSse(`${server.url}/sse?topics=slow`, headers);
  const longPoll = fetch(`${server.url}/long-poll?topics=slow&timeout=7`, { headers });
  await new Promise((resolve) => setTimeout(resolve, 6000));
  const id = await server.publish('slow', 'still here');
  expect((await sse.waitForEvents(1))[0]!.id).toBe(id);
  const answer = await longPoll;
  expect(answer.status).toBe(200);
  expect(((await answer.json()) as { events: { id: string }[] }).events.map((e) => e.id)).toEqual([id]);
  sse.close();
}, 20_000);
