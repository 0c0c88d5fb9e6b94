import { createRecorder, type Recorder } from '@tidings/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { TransportName } from '../src/index.ts';
import { HEARTBEAT_MS, pauseOf, type Rig, startRig } from './support/rig.ts';
import { RUNTIMES, startClient, type TestClient } from './support/runtimes.ts';
import { publishMany } from './support/wait.ts';

const open: { close(): unknown }[] = [];
const track = <T extends { close(): unknown }>(thing: T): T => {
  open.push(thing);
  return thing;
};
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

// What the client promises (see docs/client.md): a WebSocket or SSE stream silent for
// 2 × heartbeat + min(heartbeat, 2 s) (+ the time it took to open) is dead; a long poll not answered
// within its timeout + connectTimeoutMs is abandoned. The margin is for a busy machine, not the client.
const MARGIN_MS = 2000;
const STREAM_BOUND_MS = 2 * HEARTBEAT_MS + Math.min(HEARTBEAT_MS, 2000) + MARGIN_MS;
const CONNECT_MS = 1000;
const LONG_POLL_MS = 1000;
const LONG_POLL_BOUND_MS = LONG_POLL_MS + CONNECT_MS + MARGIN_MS;

const FAST_CLIENT = {
  connectTimeoutMs: CONNECT_MS,
  openTimeoutMs: CONNECT_MS,
  longPollTimeoutMs: LONG_POLL_MS,
  reconnectDelayMs: 50,
  maxReconnectDelayMs: 300,
};

async function clientsFor(
  runtime: (typeof RUNTIMES)[number],
  rig: Rig,
  transports: TransportName[],
): Promise<{ client: TestClient; recorder: Recorder; transport: TransportName }[]> {
  return Promise.all(
    transports.map(async (transport) => {
      const client = track(
        await startClient(
          runtime,
          { url: rig.url, transports: [transport], ...FAST_CLIENT },
          { subscribe: ['a'] },
        ),
      );
      const recorder = createRecorder();
      recorder.attach(client as never);
      await client.next('open', 10_000, 0);
      return { client, recorder, transport };
    }),
  );
}

describe.each(RUNTIMES)('%s: quiet failures', (runtime) => {
  for (const fault of ['blackhole', 'pause'] as const) {
    it(`${fault === 'blackhole' ? 'a black-holed network' : 'a frozen server'}: WebSocket, SSE and long poll notice within their bounds, reconnect and resume; nothing lost`, async () => {
      const rig = track(await startRig());
      const clients = await clientsFor(runtime, rig, ['ws', 'sse', 'long-poll']);
      const ids = await publishMany(rig.server.hub, 'a', 3);
      for (const { recorder } of clients) await recorder.waitFor(3);

      const faultAt = clients.map(({ client }) => client.now());
      const lift = fault === 'blackhole' ? rig.proxy.blackhole() : pauseOf(rig.proxy);
      ids.push(...(await publishMany(rig.server.hub, 'a', 3, 3)));
      const lost = await Promise.all(
        clients.map(({ client }, i) => client.next('reconnecting', 10_000, faultAt[i])),
      );
      // Healed only once every client has noticed: a paused proxy that resumed would revive the old connections.
      lift();
      for (const [i, { client, transport }] of clients.entries()) {
        const detectedMs = lost[i]!.atMs - faultAt[i]!;
        console.log(`${runtime} ${fault} ${transport}: dead after ${detectedMs} ms`);
        if (transport === 'long-poll') {
          expect(lost[i]!.arg.error.code, transport).toBe('network');
          expect(detectedMs, transport).toBeLessThanOrEqual(LONG_POLL_BOUND_MS);
        } else {
          expect(lost[i]!.arg.error.code, transport).toBe('heartbeat_timeout');
          expect(detectedMs, transport).toBeLessThanOrEqual(STREAM_BOUND_MS);
        }
        await client.next('open', 15_000, lost[i]!.atMs);
      }
      ids.push(...(await publishMany(rig.server.hub, 'a', 3, 6)));
      for (const { recorder, client, transport } of clients) {
        await recorder.waitFor(ids.length, { timeoutMs: 10_000 });
        recorder.assertComplete(ids, { allowResets: false });
        expect(client.transport, transport).toBe(transport);
      }
    });
  }

  for (const wsPackage of [false, true]) {
    it(`upgrades refused with 401, 429 and 503 (${wsPackage ? 'the ws package' : 'the global WebSocket'}): noticed at once, no crash, SSE meanwhile, back on WebSocket once they pass`, async () => {
      const rig = track(await startRig());
      for (const status of [401, 429, 503]) {
        const lift = rig.proxy.refuseUpgrades(status);
        const client = track(
          await startClient(
            runtime,
            {
              url: rig.url,
              transports: ['ws', 'sse'],
              // Long timeouts: a refusal must be noticed from the socket's own events, not by a clock.
              connectTimeoutMs: 8000,
              openTimeoutMs: 8000,
              probeIntervalMs: 500,
              reconnectDelayMs: 50,
            },
            { subscribe: ['a'], wsPackage },
          ),
        );
        const recorder = createRecorder();
        recorder.attach(client as never);
        const fallback = await client.next('fallback', 10_000, 0);
        expect(fallback.arg).toMatchObject({
          from: 'ws',
          to: 'sse',
          reason: expect.stringMatching(/blocked while HTTP works/),
        });
        expect(fallback.atMs, `${status}: noticed at once`).toBeLessThan(4000);
        const onSse = await client.next('open', 10_000, 0);
        expect(onSse.arg).toEqual({ transport: 'sse' });
        const ids = await publishMany(rig.server.hub, 'a', 2);
        await recorder.waitFor(2);

        lift();
        const back = await client.next('open', 10_000, onSse.atMs + 1);
        expect(back.arg, `${status}: probed back`).toEqual({ transport: 'ws' });
        ids.push(...(await publishMany(rig.server.hub, 'a', 2, 2)));
        await recorder.waitFor(4);
        recorder.assertComplete(ids, { allowResets: false });
        await client.close();
        expect(client.exitCode ?? 0, `${status}: the process lived`).toBe(0);
      }
      expect(rig.proxy.stats().faults.refusedUpgrades).toBeGreaterThanOrEqual(3);
    });
  }

  it('a server that refuses the upgrade and HTTP alike (503, Retry-After): retried on WebSocket, never a fallback', async () => {
    let refusing = true;
    const rig = track(
      await startRig({
        routes: (app) =>
          app.use('/realtime', (req, res, next) => {
            if (!refusing || req.path !== '/poll') return next();
            res
              .status(503)
              .set('retry-after', '1')
              .json({ error: { code: 'unavailable', message: 'deploying' } });
          }),
      }),
    );
    const lift = rig.proxy.refuseUpgrades(503);
    const client = track(
      await startClient(
        runtime,
        {
          url: rig.url,
          transports: ['ws', 'sse'],
          connectTimeoutMs: 8000,
          openTimeoutMs: 8000,
          reconnectDelayMs: 50,
        },
        { subscribe: ['a'] },
      ),
    );
    const first = await client.next('reconnecting', 10_000, 0);
    expect(first.arg.error).toMatchObject({ code: 'unavailable', status: 503 });
    expect(first.arg.delayMs).toBeGreaterThanOrEqual(1000);
    expect(first.atMs).toBeLessThan(4000);
    refusing = false;
    lift();
    expect((await client.next('open', 10_000, 0)).arg).toEqual({ transport: 'ws' });
    expect(client.log.filter((l) => l.name === 'fallback')).toEqual([]);
  });
});
