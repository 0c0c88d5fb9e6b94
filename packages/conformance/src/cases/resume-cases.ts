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
  resetTopics?: string[];
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
      'a topic that lost events after the cursor is reset by name on every transport; what it retains follows',
      async () => {
        const topic = uniqueTopic();
        const cursor = await headCursor(h(), topic);
        const retained = h().config.retentionCount ?? 1000;
        const published: string[] = [];
        for (let i = 0; i < retained * 2; i++) published.push(await h().publish(topic, i));
        const kept = published.slice(-retained);
        const last = published.at(-1)!;
        // With a broker shared between nodes (Redis) a hub learns of its own publishes through the
        // feed, a moment later: wait until it has seen the last one.
        await eventually(
          async () => ((await headCursor(h(), topic)) === last ? true : undefined),
          'the head to reach the last publish',
        );
        const poll = (await (
          await fetch(h().route('poll', { topics: topic, cursor }), { headers: await h().auth() })
        ).json()) as PollBody;
        expect(poll.reset).toBeUndefined();
        expect(poll.resetTopics).toEqual([topic]);
        expect(poll.events.map((e) => e.id)).toEqual(kept);
        expect(poll.cursor).toBe(last);
        const longPoll = (await (
          await fetch(h().route('long-poll', { topics: topic, cursor, timeout: '1' }), {
            headers: await h().auth(),
          })
        ).json()) as PollBody;
        expect(longPoll).toEqual(poll);
        const sse = await openSse(h().route('sse', { topics: topic, cursor }), await h().auth());
        cleanup(sse.close);
        const reset = await sse.waitForEvent('reset');
        expect(JSON.parse(reset.data)).toEqual({ cursor, topics: [topic] });
        expect((await sse.waitForEnvelopes(retained)).map((e) => e.id)).toEqual(kept);
        const ws = await openWs(h().route('ws', { topics: topic, cursor }), { headers: await h().auth() });
        cleanup(ws.close);
        expect((await ws.waitFor('reset'))[0]).toEqual({ type: 'reset', cursor, topics: [topic] });
        expect((await ws.waitFor('event', retained)).map((e) => e.id)).toEqual(kept);
        const id = await h().publish(topic, 'live');
        expect((await sse.waitForEnvelopes(retained + 1)).at(-1)!.id).toBe(id);
        expect((await ws.waitFor('event', retained + 1)).at(-1)!.id).toBe(id);
      },
    );

    spec('a quiet topic resumes without a reset after a busy topic wrote 100x the retention', async () => {
      const quiet = uniqueTopic('quiet');
      const busy = uniqueTopic('busy');
      const cursor = await headCursor(h(), quiet);
      const missed = await h().publish(quiet, 'while away');
      const retained = h().config.retentionCount ?? 1000;
      for (let i = 0; i < retained * 100; i++) await h().publish(busy, i);
      const poll = (await (
        await fetch(h().route('poll', { topics: quiet, cursor }), { headers: await h().auth() })
      ).json()) as PollBody;
      expect(poll).toEqual({ events: [expect.objectContaining({ id: missed })], cursor: missed });
      const ws = await openWs(h().route('ws', { topics: quiet, cursor }), { headers: await h().auth() });
      cleanup(ws.close);
      expect((await ws.waitFor('event'))[0]!.id).toBe(missed);
      expect(ws.ofType('reset')).toEqual([]);
    });

    spec('a cursor ahead of the log gets reset', async () => {
      const topic = uniqueTopic();
      const head = await h().publish(topic, 'x');
      // Through a broker the target may see a publish a moment after it was made (the PostgreSQL
      // target publishes on another hub), and it resets to the head it has seen: wait for it.
      const seq = (id: string) => Number(id.slice(id.lastIndexOf('-') + 1));
      await eventually(
        async () => (seq(await headCursor(h(), topic)) >= seq(head) ? true : undefined),
        'the target to see the publish',
      );
      const ahead = `${head.slice(0, head.lastIndexOf('-'))}-${seq(head) + 1000}`;
      const poll = (await (
        await fetch(h().route('poll', { topics: topic, cursor: ahead }), { headers: await h().auth() })
      ).json()) as PollBody;
      expect(poll.reset).toBe(true);
      expect(poll.cursor).toBe(head);
    });

    spec(
      'a long poll waits at most longPollMaxTimeoutMs, and longPollTimeoutMs without a timeout',
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
