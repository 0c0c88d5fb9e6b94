import { describe, expect } from 'vitest';
import { behindProxy } from '../clients/behind-proxy.ts';
import { openSse } from '../clients/sse-client.ts';
import { openWs } from '../clients/ws-client.ts';
import { type Harness, openWitness, uniqueTopic, useCleanup } from '../harness.ts';
import { spec } from './case-kit.ts';

// Enough bytes (12 MB) to fill any loopback socket buffers (a few MB) and then the server's own
// limit; each event stays under the default maxMessageBytes (64 KiB).
const EVENT_CHARS = 60_000;
const MAX_EVENTS = 200;

/**
 * Publishes up to MAX_EVENTS large events, each only after a healthy subscriber received the one
 * before: the healthy client never falls behind, so only the client that does not read can hit
 * `maxBufferedBytes`. Stops as soon as the server counts the cut (`dropped` above `before`): the
 * server keeps a cut peer's socket only for a grace period (5 s) for its close notice to drain,
 * so the test must let the stalled network move again promptly. (Pumping on after the cut, 200
 * events through two Postgres hubs on a loaded machine outlasted the grace: the socket was
 * destroyed with the notice still queued, and the client saw its stream end without it.)
 */
async function pump(h: Harness, topic: string, received: () => number, before: number): Promise<number> {
  const payload = 'x'.repeat(EVENT_CHARS);
  for (let i = 0; i < MAX_EVENTS; i++) {
    await h.publish(topic, payload);
    const deadline = Date.now() + 5000;
    while (received() < i + 1) {
      if (Date.now() > deadline) throw new Error(`the healthy client stalled at event ${i}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    if ((await h.server.stats()).dropped > before) return i + 1;
  }
  return MAX_EVENTS;
}

/**
 * Clients whose network stalls (a fault proxy that stops moving bytes, so the server's socket
 * buffers fill as with a client that stopped reading) are disconnected at the buffer limit; others
 * are unaffected.
 */
export function slowConsumerCases(h: () => Harness): void {
  describe('slow consumers', () => {
    const cleanup = useCleanup();

    spec(
      'an SSE client whose network stalls gets event: close (slow_consumer) and its stream ends',
      async () => {
        const witness = await openWitness(h());
        cleanup(witness.close);
        const before = (await h().server.stats()).dropped;
        const topic = uniqueTopic();
        const { proxy, route } = await behindProxy(h(), cleanup);
        const slow = await openSse(route('sse', { topics: topic }), await h().auth());
        cleanup(slow.close);
        await slow.inbox.until((items) => items.some((i) => i.kind === 'retry'), 'the slow stream to open');
        proxy.pause();
        const healthy = await openSse(h().route('sse', { topics: topic }), await h().auth());
        cleanup(healthy.close);
        await healthy.inbox.until(
          (items) => items.some((i) => i.kind === 'retry'),
          'the healthy stream to open',
        );
        const sent = await pump(h(), topic, () => healthy.envelopes().length, before);
        proxy.resume();
        // What the server wrote before it gave up arrives now, the close event last; then the stream ends.
        await slow.inbox.closed('the slow stream', 10_000);
        const last = slow.events().at(-1)!;
        expect(last.event).toBe('close');
        expect(JSON.parse(last.data)).toMatchObject({ code: 'slow_consumer' });
        expect(slow.envelopes().length).toBeLessThan(sent);
        expect(healthy.envelopes()).toHaveLength(sent);
        expect(healthy.inbox.ended).toBe(false);
        // One connection cut: counted once, however many events it was still owed.
        expect((await h().server.stats()).dropped).toBe(before + 1);
        await witness.check();
      },
    );

    spec('a WebSocket client whose network stalls is closed with 1013', async () => {
      const witness = await openWitness(h());
      cleanup(witness.close);
      const before = (await h().server.stats()).dropped;
      const topic = uniqueTopic();
      const { proxy, route } = await behindProxy(h(), cleanup);
      const slow = await openWs(route('ws', { topics: topic }), { headers: await h().auth() });
      cleanup(slow.close);
      await slow.waitFor('welcome');
      proxy.pause();
      const healthy = await openWs(h().route('ws', { topics: topic }), { headers: await h().auth() });
      cleanup(healthy.close);
      await healthy.waitFor('welcome');
      const sent = await pump(h(), topic, () => healthy.ofType('event').length, before);
      proxy.resume();
      const backpressure = h().capabilities.webSocketBackpressure !== false;
      if (backpressure) {
        expect((await slow.waitForClose(10_000)).code).toBe(1013);
        expect(slow.ofType('event').length).toBeLessThan(sent);
      }
      expect((await h().server.stats()).dropped).toBe(before + (backpressure ? 1 : 0));
      expect(healthy.ofType('event')).toHaveLength(sent);
      healthy.send({ type: 'ping' });
      await healthy.waitFor('pong');
      await witness.check();
    });
  });
}
