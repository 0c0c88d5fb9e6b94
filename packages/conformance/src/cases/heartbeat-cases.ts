import { describe, expect } from 'vitest';
import { behindProxy } from '../clients/behind-proxy.ts';
import { eventually, sleep } from '../clients/inbox.ts';
import { openWs, refusedWs, UpgradeRefused } from '../clients/ws-client.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { spec } from './case-kit.ts';

/** WebSocket heartbeats: protocol pings where the runtime has them, JSON pings elsewhere. */
export function heartbeatCases(h: () => Harness): void {
  describe('websocket heartbeat', () => {
    const cleanup = useCleanup();
    const intervalMs = () => h().config.heartbeatMs ?? 25_000;

    spec('pings every interval; a peer that answers stays connected', async () => {
      const topic = uniqueTopic();
      const client = await openWs(h().route('ws', { topics: topic }), { headers: await h().auth() });
      cleanup(client.close);
      if (h().capabilities.protocolPing) {
        await client.pings.until((p) => p.length >= 2, 'two protocol pings');
        expect(client.ofType('ping')).toEqual([]);
      } else {
        // Without protocol pings the server sends {"type":"ping"}; the client answers each one.
        for (let n = 1; n <= 2; n++) {
          await client.waitFor('ping', n);
          client.send({ type: 'pong' });
        }
      }
      const id = await h().publish(topic, 'alive');
      expect((await client.waitFor('event'))[0]!.id).toBe(id);
    });

    spec('a peer that never answers is disconnected', async () => {
      const client = await openWs(h().route('ws', { topics: uniqueTopic() }), {
        headers: await h().auth(),
        autoPong: false,
      });
      cleanup(client.close);
      const closed = await Promise.race([client.closed, sleep(intervalMs() * 10).then(() => undefined)]);
      expect(closed, 'the silent peer should have been closed').toBeDefined();
      if (h().capabilities.protocolPing) expect(client.pings.items.length).toBeGreaterThanOrEqual(1);
      else expect(client.ofType('ping').length).toBeGreaterThanOrEqual(1);
    });
  });
}

/**
 * Peers whose network died without a word (a blackholed link: no FIN, no RST, no byte): only the
 * heartbeat can find them. Run on a server with a small `maxConnectionsPerUser`, whose slots show it.
 */
export function silentNetworkCases(h: () => Harness): void {
  describe('silent network', () => {
    const cleanup = useCleanup();

    spec(
      "a user's WebSockets on a network gone silent are dropped by the heartbeat, freeing its slots",
      async () => {
        const limit = h().config.maxConnectionsPerUser ?? 32;
        const intervalMs = h().config.heartbeatMs ?? 25_000;
        const user = { sub: `silent-${uniqueTopic()}` };
        const { proxy, route } = await behindProxy(h(), cleanup);
        for (let i = 0; i < limit; i++) {
          const ws = await openWs(route('ws', { topics: uniqueTopic() }), {
            headers: await h().auth('subscriber', user),
          });
          cleanup(ws.close);
          await ws.waitFor('welcome');
        }
        // These clients answer every ping: while their network works, the user is at its limit.
        const refused = await refusedWs(h().route('ws', { topics: uniqueTopic() }), {
          headers: await h().auth('subscriber', user),
        });
        expect(refused.status).toBe(429);

        proxy.blackhole();
        // Pings vanish, and so would pongs: within a few intervals the server drops the peers itself.
        const back = await eventually(
          async () => {
            try {
              return await openWs(h().route('ws', { topics: uniqueTopic() }), {
                headers: await h().auth('subscriber', user),
              });
            } catch (error) {
              if (error instanceof UpgradeRefused && error.status === 429) return undefined;
              throw error;
            }
          },
          "the silent peers' slots to be freed",
          intervalMs * 20,
        );
        cleanup(back.close);
        await back.waitFor('welcome');
        expect(proxy.stats().faults.blackholed).toBe(limit);
      },
    );
  });
}
