import { describe, expect } from 'vitest';
import { openSse } from '../clients/sse-client.ts';
import { openWs, refusedWs } from '../clients/ws-client.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { errorCode, spec } from './case-kit.ts';

const subscriber = () => ({
  id: `ticket-${Math.random().toString(36).slice(2)}`,
  claims: { role: 'subscriber' },
});

/** Connect tickets in the URL: single use, bound to topics, minted by another hub with the same secret. */
export function ticketCases(h: () => Harness): void {
  describe('connect tickets', () => {
    const cleanup = useCleanup();

    spec('a ticket opens poll, long poll, SSE and a WebSocket from the URL alone', async () => {
      const topic = uniqueTopic();
      for (const route of ['poll', 'long-poll']) {
        const res = await fetch(
          h().route(route, { topics: topic, timeout: '0', ticket: await h().ticket(subscriber()) }),
        );
        expect(res.status, route).toBe(200);
        await res.body?.cancel();
      }
      const sse = await openSse(
        h().route('sse', { topics: topic, ticket: await h().ticket(subscriber()) }),
        {},
      );
      cleanup(sse.close);
      expect(sse.response.status).toBe(200);
      const ws = await openWs(h().route('ws', { topics: topic, ticket: await h().ticket(subscriber()) }));
      cleanup(ws.close);
      await ws.waitFor('welcome');
      const id = await h().publish(topic, 'by ticket');
      expect((await sse.waitForEnvelopes(1))[0]!.id).toBe(id);
      expect((await ws.waitFor('event'))[0]!.id).toBe(id);
    });

    spec('a ticket is single-use: replayed on any route it is 401', async () => {
      const topic = uniqueTopic();
      const ticket = await h().ticket(subscriber());
      const ws = await openWs(h().route('ws', { topics: topic, ticket }));
      cleanup(ws.close);
      await ws.waitFor('welcome');
      expect((await refusedWs(h().route('ws', { topics: topic, ticket }))).status).toBe(401);
      for (const route of ['poll', 'sse']) {
        const replay = await fetch(h().route(route, { topics: topic, ticket }));
        expect(replay.status, route).toBe(401);
        expect(await errorCode(replay)).toBe('unauthorized');
      }
    });

    spec('a ticket for topics [a] cannot open b (403), nor subscribe to it later', async () => {
      const a = uniqueTopic();
      const b = uniqueTopic();
      const res = await fetch(
        h().route('sse', { topics: b, ticket: await h().ticket(subscriber(), { topics: [a] }) }),
      );
      expect(res.status).toBe(403);
      expect(await errorCode(res)).toBe('forbidden');
      const ws = await openWs(
        h().route('ws', { topics: a, ticket: await h().ticket(subscriber(), { topics: [a] }) }),
      );
      cleanup(ws.close);
      await ws.waitFor('welcome');
      ws.send({ type: 'subscribe', topics: [b] });
      expect((await ws.waitFor('error'))[0]!.code).toBe('forbidden');
    });

    spec('an expired, forged or mangled ticket is 401, never 5xx', async () => {
      const topic = uniqueTopic();
      const expired = await h().ticket(subscriber(), { ttlMs: 1 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const good = await h().ticket(subscriber());
      for (const ticket of [
        expired,
        `${good.slice(0, -4)}AAAA`,
        'v1.AAAA',
        'garbage',
        `v1.${'A'.repeat(6000)}`,
      ]) {
        const res = await fetch(h().route('poll', { topics: topic, ticket }));
        expect(res.status).toBe(401);
        await res.body?.cancel();
      }
    });
  });
}
