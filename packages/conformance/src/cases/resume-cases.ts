import { describe, expect } from 'vitest';
import { eventually, sleep } from '../clients/inbox.ts';
import { openSse } from '../clients/sse-client.ts';
import { openWs } from '../clients/ws-client.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { spec } from './case-kit.ts';
import { headCursor } from './long-poll-cases.ts';

interface PollBody {
  events: { id: string; data: unknown }[];
  cursor: string;
  reset?: boolean;
}

/** Resume with a cursor across transports. */
export function resumeCases(h: () => Harness): void {
  describe('resume across transports', () => {
    const cleanup = useCleanup();

    spec('SSE → long poll → WebSocket mid-stream: every event exactly once, in order', async () => {
      const topic = uniqueTopic();
      const total = 30;
      const received: string[] = [];
      let cursor = await headCursor(h(), topic);
      const published: string[] = [];
      // A steady publisher runs while the client hops transports, so events land during every gap.
      const publisher = (async () => {
        for (let i = 0; i < total; i++) {
          published.push(await h().publish(topic, { n: i }));
          await sleep(8);
        }
      })();

      const sse = await openSse(h().route('sse', { topics: topic, cursor }), await h().auth());
      await sse.waitForEnvelopes(5);
      sse.close();
      for (const e of sse.envelopes()) received.push(e.id);
      cursor = received.at(-1)!;

      for (let round = 0; round < 50 && received.length < 15; round++) {
        const res = await fetch(h().route('long-poll', { topics: topic, cursor, timeout: '5' }), {
          headers: await h().auth(),
        });
        const body = (await res.json()) as PollBody;
        expect(body.reset).toBeUndefined();
        for (const e of body.events) received.push(e.id);
        cursor = body.cursor;
      }
      expect(received.length).toBeGreaterThanOrEqual(15);

      const ws = await openWs(h().route('ws', { topics: topic, cursor }), { headers: await h().auth() });
      cleanup(ws.close);
      await publisher;
      const rest = total - received.length;
      const events = await ws.waitFor('event', rest);
      for (const e of events) received.push(e.id as string);
      expect(received).toEqual(published);
      expect(new Set(received).size).toBe(total);
    });
  });
}

/** Reset when retained history no longer covers the cursor (a server with a small retention). */
export function retentionCases(h: () => Harness): void {
  describe('reset after retention', () => {
    const cleanup = useCleanup();

    spec(
      'a cursor older than the retained events gets reset on poll, long poll, SSE and WebSocket',
      async () => {
        const topic = uniqueTopic();
        const cursor = await headCursor(h(), topic);
        const retained = h().config.retentionCount ?? 1000;
        let last = '';
        for (let i = 0; i < retained * 2; i++) last = await h().publish(topic, i);
        // With a broker shared between nodes (Redis) a hub learns of its own publishes through the
        // feed, a moment later: wait until it has seen the last one, so every reset names that head.
        await eventually(
          async () => ((await headCursor(h(), topic)) === last ? true : undefined),
          'the head to reach the last publish',
        );
        const poll = (await (
          await fetch(h().route('poll', { topics: topic, cursor }), { headers: await h().auth() })
        ).json()) as PollBody;
        expect(poll).toMatchObject({ events: [], reset: true });
        const longPoll = (await (
          await fetch(h().route('long-poll', { topics: topic, cursor, timeout: '1' }), {
            headers: await h().auth(),
          })
        ).json()) as PollBody;
        expect(longPoll).toMatchObject({ events: [], reset: true, cursor: poll.cursor });
        const sse = await openSse(h().route('sse', { topics: topic, cursor }), await h().auth());
        cleanup(sse.close);
        const reset = await sse.waitForEvent('reset');
        expect(JSON.parse(reset.data)).toEqual({ cursor: poll.cursor });
        expect(reset.id).toBe(poll.cursor);
        const ws = await openWs(h().route('ws', { topics: topic, cursor }), { headers: await h().auth() });
        cleanup(ws.close);
        expect((await ws.waitFor('reset'))[0]).toEqual({ type: 'reset', cursor: poll.cursor });
        expect(sse.envelopes()).toEqual([]);
        expect(ws.ofType('event')).toEqual([]);
        const id = await h().publish(topic, 'after reset');
        expect((await sse.waitForEnvelopes(1))[0]!.id).toBe(id);
        expect((await ws.waitFor('event'))[0]!.id).toBe(id);
      },
    );

    spec('a cursor ahead of the log gets reset', async () => {
      const topic = uniqueTopic();
      const head = await h().publish(topic, 'x');
      const ahead = `${head.slice(0, head.lastIndexOf('-'))}-${Number(head.slice(head.lastIndexOf('-') + 1)) + 1000}`;
      const poll = (await (
        await fetch(h().route('poll', { topics: topic, cursor: ahead }), { headers: await h().auth() })
      ).json()) as PollBody;
      expect(poll.reset).toBe(true);
      expect(poll.cursor).toBe(head);
    });

    spec(
      'a long poll waits at most longPollMaxTimeoutS, and longPollTimeoutS without a timeout',
      async () => {
        const topic = uniqueTopic();
        const cursor = await headCursor(h(), topic);
        const answers = await Promise.all(
          ['3600', undefined].map(async (timeout) => {
            const res = await fetch(h().route('long-poll', { topics: topic, cursor, timeout }), {
              headers: await h().auth(),
            });
            return res.json();
          }),
        );
        expect(answers).toEqual([
          { events: [], cursor },
          { events: [], cursor },
        ]);
      },
    );
  });
}
