import { describe, expect } from 'vitest';
import { type Harness, uniqueTopic } from '../harness.ts';
import { errorCode, FOREIGN_CURSOR, spec } from './case-kit.ts';

interface PollBody {
  events: { id: string; topic: string; event: string; data: unknown }[];
  cursor: string;
  reset?: boolean;
}

/** GET {base}/poll. */
export function pollCases(h: () => Harness): void {
  describe('short poll', () => {
    spec('answers at once with no events and a cursor to send next time', async () => {
      const topic = uniqueTopic();
      const res = await fetch(h().route('poll', { topics: topic }), { headers: await h().auth() });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toContain('no-store');
      const body = (await res.json()) as PollBody;
      expect(body.events).toEqual([]);
      expect(typeof body.cursor).toBe('string');
      expect(body.reset).toBeUndefined();
    });

    spec('returns every event after the cursor on its topics, in order, as envelopes', async () => {
      const a = uniqueTopic();
      const b = uniqueTopic();
      const other = uniqueTopic();
      const first = (await (
        await fetch(h().route('poll', { topics: `${a},${b}` }), { headers: await h().auth() })
      ).json()) as PollBody;
      const id1 = await h().publish(a, { n: 1 });
      await h().publish(other, { n: 'other' });
      const id2 = await h().publish(b, { n: 2 }, 'custom');
      const id3 = await h().publish(a, [1, 'two', null]);
      const res = await fetch(h().route('poll', { topics: `${a},${b}`, cursor: first.cursor }), {
        headers: await h().auth(),
      });
      const body = (await res.json()) as PollBody;
      expect(body.events).toEqual([
        { id: id1, topic: a, event: 'message', data: { n: 1 } },
        { id: id2, topic: b, event: 'custom', data: { n: 2 } },
        { id: id3, topic: a, event: 'message', data: [1, 'two', null] },
      ]);
      expect(body.cursor).toBe(id3);
      const again = (await (
        await fetch(h().route('poll', { topics: `${a},${b}`, cursor: body.cursor }), {
          headers: await h().auth(),
        })
      ).json()) as PollBody;
      expect(again.events).toEqual([]);
      expect(again.cursor).toBe(id3);
    });

    spec(
      'says reset to the start of this epoch for a cursor of another; the next poll gets what it retains',
      async () => {
        const topic = uniqueTopic();
        const head = await h().publish(topic, 'x');
        const res = await fetch(h().route('poll', { topics: topic, cursor: FOREIGN_CURSOR }), {
          headers: await h().auth(),
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as PollBody;
        expect(body.reset).toBe(true);
        expect(body.events).toEqual([]);
        // The log the cursor came from is gone: what this one holds is news to the client.
        expect(body.cursor).toBe(head.replace(/-\d+$/, '-0'));
        const after = (await (
          await fetch(h().route('poll', { topics: topic, cursor: body.cursor }), {
            headers: await h().auth(),
          })
        ).json()) as PollBody;
        expect(after.reset).toBeUndefined();
        expect(after.events.map((e) => e.id)).toEqual([head]);
      },
    );

    spec('refuses missing topics, bad topics, too many topics and a bad cursor with 400', async () => {
      const headers = await h().auth();
      const max = h().config.maxTopicsPerConnection ?? 32;
      const tooMany = Array.from({ length: max + 1 }, (_, i) => `t${i}`).join(',');
      for (const query of [
        {},
        { topics: '' },
        { topics: 'a,,b' },
        { topics: 'has space' },
        { topics: 'x'.repeat(129) },
        { topics: tooMany },
        { topics: 'a', cursor: 'not-a-cursor!' },
      ]) {
        const res = await fetch(h().route('poll', query), { headers });
        expect(res.status, JSON.stringify(query)).toBe(400);
        expect(await errorCode(res)).toBe('bad_request');
      }
    });

    spec('answers other methods with 405 and leaves unknown routes under its path to the app', async () => {
      const headers = await h().auth();
      const post = await fetch(h().route('poll', { topics: 'a' }), { method: 'POST', headers, body: '{}' });
      expect(post.status).toBe(405);
      await post.body?.cancel();
      const unknown = await fetch(h().route('no-such-route', { topics: 'a' }), { headers });
      expect(unknown.status).toBe(200);
      expect(await unknown.json()).toEqual({ app: `GET ${new URL(h().url).pathname}/no-such-route` });
    });
  });
}
