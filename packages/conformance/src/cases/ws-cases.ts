import { describe, expect } from 'vitest';
import { openWs, type WsMessage } from '../clients/ws-client.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { FOREIGN_CURSOR, spec } from './case-kit.ts';
import { headCursor } from './long-poll-cases.ts';

const events = (messages: WsMessage[]) => messages.filter((m) => m.type === 'event');

/** GET {base}/ws. */
export function wsCases(h: () => Harness): void {
  describe('websocket', () => {
    const cleanup = useCleanup();
    const open = async (
      query: Record<string, string | undefined>,
      role: 'subscriber' | 'publisher' | 'admin' = 'subscriber',
    ) => {
      const client = await openWs(h().route('ws', query), { headers: await h().auth(role) });
      cleanup(client.close);
      return client;
    };

    spec('greets with welcome first, then delivers events on the query topics', async () => {
      const topic = uniqueTopic();
      const client = await open({ topics: topic });
      const [welcome] = await client.waitFor('welcome');
      expect(client.messages.items[0]).toBe(welcome);
      expect(welcome).toMatchObject({ type: 'welcome', heartbeat: h().config.heartbeatMs });
      expect(typeof welcome!.connectionId).toBe('string');
      expect(typeof welcome!.cursor).toBe('string');
      const id = await h().publish(topic, { x: 1 }, 'named');
      const [event] = await client.waitFor('event');
      expect(event).toEqual({ type: 'event', id, topic, event: 'named', data: { x: 1 } });
    });

    spec('subscribe with a cursor replays what was missed before live events, each once', async () => {
      const topic = uniqueTopic();
      const cursor = await headCursor(h(), topic);
      const missed = [await h().publish(topic, 1), await h().publish(topic, 2)];
      const client = await open({});
      await client.waitFor('welcome');
      client.send({ type: 'subscribe', topics: [topic], cursor });
      await client.waitFor('event', 2);
      const live = await h().publish(topic, 3);
      await client.waitFor('event', 3);
      client.send({ type: 'subscribe', topics: [topic] });
      const marker = await h().publish(topic, 4);
      await client.waitFor('event', 4);
      expect(events(client.messages.items).map((m) => m.id)).toEqual([...missed, live, marker]);
    });

    spec('unsubscribe stops a topic', async () => {
      const a = uniqueTopic();
      const b = uniqueTopic();
      const client = await open({ topics: `${a},${b}` });
      await client.waitFor('welcome');
      client.send({ type: 'unsubscribe', topics: [a] });
      client.send({ type: 'ping' });
      await client.waitFor('pong');
      await h().publish(a, 'gone');
      const marker = await h().publish(b, 'marker');
      await client.waitFor('event');
      expect(events(client.messages.items).map((m) => m.id)).toEqual([marker]);
    });

    spec(
      'publish from an authorized client is acked and delivered; others get forbidden with their ref',
      async () => {
        const topic = uniqueTopic();
        const listener = await open({ topics: topic });
        await listener.waitFor('welcome');
        const publisher = await open({}, 'publisher');
        publisher.send({ type: 'publish', topic, event: 'made', data: { by: 'ws' }, ref: 'r1' });
        const [ack] = await publisher.waitFor('ack');
        expect(ack).toMatchObject({ type: 'ack', ref: 'r1' });
        const [event] = await listener.waitFor('event');
        expect(event).toEqual({ type: 'event', id: ack!.id, topic, event: 'made', data: { by: 'ws' } });
        const subscriber = await open({});
        subscriber.send({ type: 'publish', topic, data: 1, ref: 'r2' });
        const [error] = await subscriber.waitFor('error');
        expect(error).toMatchObject({ type: 'error', code: 'forbidden', ref: 'r2' });
      },
    );

    spec(
      'publishes beyond maxPublishesPerSecond get rate_limited errors; the connection lives on',
      async () => {
        const topic = uniqueTopic();
        const publisher = await open({}, 'publisher');
        await publisher.waitFor('welcome');
        const max = h().config.maxPublishesPerSecond ?? 100;
        for (let i = 0; i < max + 20; i++) publisher.send({ type: 'publish', topic, data: i, ref: `p${i}` });
        await publisher.messages.until(
          (items) => items.filter((m) => m.type === 'ack' || m.type === 'error').length >= max + 20,
          'an answer to every publish',
        );
        const limited = publisher.ofType('error').filter((m) => m.code === 'rate_limited');
        expect(limited.length).toBeGreaterThanOrEqual(1);
        expect(publisher.ofType('ack').length).toBeLessThanOrEqual(max);
        publisher.send({ type: 'ping' });
        await publisher.waitFor('pong');
      },
    );

    spec('answers ping with pong', async () => {
      const client = await open({});
      client.send({ type: 'ping' });
      await client.waitFor('pong');
    });

    spec('a malformed or unknown message gets an error frame and the connection lives on', async () => {
      const topic = uniqueTopic();
      const client = await open({ topics: topic });
      await client.waitFor('welcome');
      client.send('{not json');
      client.send({ type: 'nope', ref: 'u1' });
      client.send({ type: 'subscribe', topics: 'not-an-array' });
      client.send({ type: 'publish', topic: 'bad topic!', data: 1, ref: 'p1' });
      client.socket.send(Buffer.from([1, 2, 3]));
      const errors = await client.waitFor('error', 5);
      expect(errors.every((e) => e.code === 'bad_request')).toBe(true);
      expect(errors.find((e) => e.ref === 'u1')).toBeDefined();
      expect(errors.find((e) => e.ref === 'p1')).toBeDefined();
      const id = await h().publish(topic, 'still here');
      const [event] = await client.waitFor('event');
      expect(event!.id).toBe(id);
    });

    spec('a flood of malformed messages is closed as a policy violation (1008)', async () => {
      const client = await open({});
      const flood = (h().config.maxErrorsPerInterval ?? 20) * 3;
      for (let i = 0; i < flood; i++) client.send('garbage');
      expect((await client.waitForClose()).code).toBe(1008);
    });

    spec('a cursor in the query resumes; a foreign cursor gets reset, then live events', async () => {
      const topic = uniqueTopic();
      const cursor = await headCursor(h(), topic);
      const id1 = await h().publish(topic, 'missed');
      const resumed = await open({ topics: topic, cursor });
      const [event] = await resumed.waitFor('event');
      expect(event!.id).toBe(id1);
      // A cursor of another epoch: reset to the start of this one, and what the log holds follows.
      const reset = await open({ topics: topic, cursor: FOREIGN_CURSOR });
      const [message] = await reset.waitFor('reset');
      expect(message!.cursor).toBe(id1.replace(/-\d+$/, '-0'));
      const id2 = await h().publish(topic, 'live');
      await reset.waitFor('event', 2);
      expect(events(reset.messages.items).map((m) => m.id)).toEqual([id1, id2]);
    });

    spec('subscribing past maxTopicsPerConnection gets an error and the connection lives on', async () => {
      const client = await open({});
      await client.waitFor('welcome');
      const topics = Array.from({ length: 200 }, (_, i) => `many.${i}`);
      client.send({ type: 'subscribe', topics });
      const [error] = await client.waitFor('error');
      expect(error!.code).toBe('bad_request');
      client.send({ type: 'ping' });
      await client.waitFor('pong');
    });
  });
}
