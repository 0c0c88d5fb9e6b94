import { describe, expect } from 'vitest';
import { behindProxy } from '../clients/behind-proxy.ts';
import { openSse } from '../clients/sse-client.ts';
import { openWs } from '../clients/ws-client.ts';
import { type Harness, openWitness, uniqueTopic, useCleanup } from '../harness.ts';
import { spec } from './case-kit.ts';

/** The topics the `slow` server conflates (`conflateTopics`). */
export const CONFLATED_PREFIX = 'state';

// 4 names × 20 KB: what a stalled client holds stays well under the slow server's 256 KiB limit,
// while 600 events (12 MB) fill any loopback socket buffers many times over.
const NAMES = ['cpu', 'mem', 'disk', 'net'];
const EVENT_CHARS = 20_000;
const ROUNDS = 150;

interface Envelope {
  id: string;
  event: string;
  data: unknown;
  conflated?: true;
}

/**
 * Publishes ROUNDS values of every name, each round only after a healthy subscriber received the
 * round before (so only the stalled client can fall behind: within a round every name comes once,
 * so even a healthy client that is briefly behind has nothing replaced). Resolves to the last id of
 * each name. A round, not an event, per wait: on a broker every wait is a round trip through the
 * store (about 17 ms on PostgreSQL here), and 600 of them in a row outgrew the case's bound on a
 * loaded machine.
 */
async function pumpState(h: Harness, topic: string, received: () => number): Promise<Map<string, string>> {
  const filler = 'x'.repeat(EVENT_CHARS);
  const last = new Map<string, string>();
  let sent = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const name of NAMES) {
      last.set(name, await h.publish(topic, { round, filler }, name));
      sent++;
    }
    const deadline = Date.now() + 5000;
    while (received() < sent) {
      if (Date.now() > deadline) throw new Error(`the healthy client stalled at event ${sent}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return last;
}

/** The newest envelope of each name a client received. */
function newestByName(envelopes: readonly Envelope[]): Map<string, Envelope> {
  const newest = new Map<string, Envelope>();
  for (const envelope of envelopes) newest.set(envelope.event, envelope);
  return newest;
}

/** Checks the stalled client's view once it reads again: in order, and the latest of every name. */
function expectLatestOfEach(envelopes: Envelope[], last: Map<string, string>, backpressure: boolean): void {
  const ids = envelopes.map((e) => Number(e.id.slice(e.id.lastIndexOf('-') + 1)));
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  const newest = newestByName(envelopes);
  for (const name of NAMES) {
    const envelope = newest.get(name);
    expect(envelope?.id, name).toBe(last.get(name));
    expect((envelope?.data as { round?: number } | undefined)?.round).toBe(ROUNDS);
  }
  // Where the runtime reports its queue, the client fell behind and got the newest values conflated.
  if (backpressure) {
    expect(envelopes.length).toBeLessThan(ROUNDS * NAMES.length);
    expect(envelopes.some((e) => e.conflated === true)).toBe(true);
  }
}

/**
 * Conflated topics (`conflateTopics`): a client whose network stalls is not disconnected; while it is
 * behind, each name keeps only its newest value, so when it reads again it ends with the latest value
 * of every name, and the server never held more for it than `maxBufferedBytes`.
 */
export function conflationCases(h: () => Harness): void {
  describe('conflated state topics', () => {
    const cleanup = useCleanup();

    spec(
      'an SSE client whose network stalls stays connected and ends with the latest value of every name',
      async () => {
        const witness = await openWitness(h());
        cleanup(witness.close);
        const topic = uniqueTopic(CONFLATED_PREFIX);
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
        const last = await pumpState(h(), topic, () => healthy.envelopes().length);
        proxy.resume();
        const lastIds = new Set(last.values());
        await slow.inbox.until(
          () => NAMES.every((name) => newestByName(slow.envelopes()).get(name)?.id === last.get(name)),
          'the latest value of every name',
          10_000,
        );
        expect(slow.events().some((m) => m.event === 'close')).toBe(false);
        expect(slow.inbox.ended).toBe(false);
        expectLatestOfEach(slow.envelopes(), last, true);
        expect(healthy.envelopes().filter((e) => lastIds.has(e.id))).toHaveLength(NAMES.length);
        await witness.check();
      },
    );

    spec(
      'a WebSocket client whose network stalls stays open and ends with the latest value of every name',
      async () => {
        const witness = await openWitness(h());
        cleanup(witness.close);
        const topic = uniqueTopic(CONFLATED_PREFIX);
        const { proxy, route } = await behindProxy(h(), cleanup);
        const slow = await openWs(route('ws', { topics: topic }), { headers: await h().auth() });
        cleanup(slow.close);
        await slow.waitFor('welcome');
        proxy.pause();
        const healthy = await openWs(h().route('ws', { topics: topic }), { headers: await h().auth() });
        cleanup(healthy.close);
        await healthy.waitFor('welcome');
        const last = await pumpState(h(), topic, () => healthy.ofType('event').length);
        proxy.resume();
        const received = () => slow.ofType('event') as unknown as Envelope[];
        await slow.messages.until(
          () => NAMES.every((name) => newestByName(received()).get(name)?.id === last.get(name)),
          'the latest value of every name',
          10_000,
        );
        expectLatestOfEach(received(), last, h().capabilities.webSocketBackpressure !== false);
        // Still open: it answers a ping.
        slow.send({ type: 'ping' });
        await slow.waitFor('pong');
        await witness.check();
      },
    );
  });
}
