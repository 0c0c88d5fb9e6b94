import { describe, expect } from 'vitest';
import { eventually } from '../clients/inbox.ts';
import { openWs } from '../clients/ws-client.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { spec } from './case-kit.ts';
import { headCursor } from './long-poll-cases.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * WebSocket authentication without a token in the URL: the credential as the first message, and
 * a fresh one on an open socket (in-band refresh).
 */
export function wsAuthCases(h: () => Harness): void {
  describe('WebSocket first-message auth', () => {
    const cleanup = useCleanup();

    spec(
      'a socket without a credential gets nothing until {"type":"auth"}, then welcome and its URL topics',
      async () => {
        const topic = uniqueTopic();
        const ws = await openWs(h().route('ws', { topics: topic }));
        cleanup(ws.close);
        // Published while the socket has not said who it is: never delivered to it. With a broker
        // shared between nodes, the serving node learns of it a moment later: wait until its head
        // has it, so the socket's start (the node's head at its auth) is past it.
        const before = await h().publish(topic, 'before auth');
        await eventually(
          async () => ((await headCursor(h(), topic)) === before ? true : undefined),
          'the head to reach the publish',
        );
        ws.send({ type: 'auth', token: await h().token('subscriber') });
        const [welcome] = await ws.waitFor('welcome');
        expect(ws.messages.items[0]).toBe(welcome);
        const id = await h().publish(topic, 'after auth');
        const [event] = await ws.waitFor('event');
        expect(event!.id).toBe(id);
        expect(ws.ofType('event')).toHaveLength(1);
      },
    );

    spec('anything else first closes 4401 unauthorized, before anything is sent', async () => {
      for (const first of [{ type: 'subscribe', topics: ['a'] }, { type: 'ping' }, 'not json']) {
        const ws = await openWs(h().route('ws', { topics: uniqueTopic() }));
        cleanup(ws.close);
        ws.send(first);
        expect(await ws.waitForClose()).toEqual({ code: 4401, reason: 'unauthorized' });
        expect(ws.messages.items.filter((m) => m.type !== 'ping')).toEqual([]);
      }
    });

    spec('no auth message within authTimeoutMs closes 4401 unauthorized', async () => {
      const ws = await openWs(h().route('ws', { topics: uniqueTopic() }));
      cleanup(ws.close);
      // authTimeoutMs is 1000 on this server: generous bound, closing is what is asserted.
      expect(await ws.waitForClose(10_000)).toEqual({ code: 4401, reason: 'unauthorized' });
    });

    spec(
      'a bad token in the auth message closes 4401; a forbidden URL topic closes 1008 forbidden',
      async () => {
        const bad = await openWs(h().route('ws', { topics: uniqueTopic() }));
        cleanup(bad.close);
        bad.send({ type: 'auth', token: await h().token('subscriber', { expiresInS: -60 }) });
        expect(await bad.waitForClose()).toEqual({ code: 4401, reason: 'unauthorized' });
        const forbidden = await openWs(h().route('ws', { topics: uniqueTopic('private') }));
        cleanup(forbidden.close);
        forbidden.send({ type: 'auth', token: await h().token('subscriber') });
        expect(await forbidden.waitForClose()).toEqual({ code: 1008, reason: 'forbidden' });
        expect(forbidden.ofType('welcome')).toEqual([]);
      },
    );
  });

  describe('WebSocket in-band refresh', () => {
    const cleanup = useCleanup();

    spec('a fresh token keeps the socket open past the first token expiry, with no reconnect', async () => {
      const topic = uniqueTopic();
      const sub = `refresh-${Math.random().toString(36).slice(2)}`;
      const ws = await openWs(h().route('ws', { topics: topic }), {
        headers: await h().auth('subscriber', { sub, expiresInS: 2 }),
      });
      cleanup(ws.close);
      await ws.waitFor('welcome');
      ws.send({ type: 'auth', token: await h().token('subscriber', { sub, expiresInS: 600 }) });
      const [answer] = await ws.waitFor('authenticated');
      expect(typeof answer!.expiresAt).toBe('number');
      expect(answer!.expiresAt as number).toBeGreaterThan(Date.now() + 500_000);
      // Well past the first token's expiry (2 s, leeway 0, ticks of 50 ms).
      await sleep(3000);
      const id = await h().publish(topic, 'still here');
      const [event] = await ws.waitFor('event');
      expect(event!.id).toBe(id);
      expect(ws.ofType('welcome')).toHaveLength(1);
      expect(ws.socket.readyState).toBe(ws.socket.OPEN);
    });

    spec('a token of another principal closes 4401', async () => {
      const ws = await openWs(h().route('ws', { topics: uniqueTopic() }), {
        headers: await h().auth('subscriber', { sub: 'ann' }),
      });
      cleanup(ws.close);
      await ws.waitFor('welcome');
      ws.send({ type: 'auth', token: await h().token('subscriber', { sub: 'bob' }) });
      expect(await ws.waitForClose()).toEqual({ code: 4401, reason: 'unauthorized' });
    });
  });
}
