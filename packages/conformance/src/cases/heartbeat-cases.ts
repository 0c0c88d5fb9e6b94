import { describe, expect } from 'vitest';
import { sleep } from '../clients/inbox.ts';
import { openWs } from '../clients/ws-client.ts';
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
