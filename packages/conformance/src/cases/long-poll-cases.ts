import { describe, expect } from 'vitest';
import { type Harness, uniqueTopic } from '../harness.ts';
import { errorCode, spec } from './case-kit.ts';

interface PollBody {
  events: { id: string; topic: string; event: string; data: unknown }[];
  cursor: string;
  reset?: boolean;
}

/** The current head cursor, from a short poll. */
export async function headCursor(h: Harness, topic: string): Promise<string> {
  const res = await fetch(h.route('poll', { topics: topic }), { headers: await h.auth() });
  return ((await res.json()) as PollBody).cursor;
}

/** GET {base}/long-poll. */
export function longPollCases(h: () => Harness): void {
  describe('long poll', () => {
    spec('holds the request until an event arrives, then answers with it', async () => {
      const topic = uniqueTopic();
      const cursor = await headCursor(h(), topic);
      const pending = fetch(h().route('long-poll', { topics: topic, cursor, timeout: '20' }), {
        headers: await h().auth(),
      });
      let settled = false;
      void pending.then(() => {
        settled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(settled).toBe(false);
      const id = await h().publish(topic, { hello: 'long' });
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toContain('no-store');
      const body = (await res.json()) as PollBody;
      expect(body.events).toEqual([{ id, topic, event: 'message', data: { hello: 'long' } }]);
      expect(body.cursor).toBe(id);
    });

    spec('answers at once with everything pending after the cursor', async () => {
      const topic = uniqueTopic();
      const cursor = await headCursor(h(), topic);
      const ids = [await h().publish(topic, 1), await h().publish(topic, 2), await h().publish(topic, 3)];
      const res = await fetch(h().route('long-poll', { topics: topic, cursor, timeout: '20' }), {
        headers: await h().auth(),
      });
      const body = (await res.json()) as PollBody;
      expect(body.events.map((e) => e.id)).toEqual(ids);
      expect(body.events.map((e) => e.data)).toEqual([1, 2, 3]);
      expect(body.cursor).toBe(ids[2]);
    });

    spec('answers {"events":[],"cursor":C} when the timeout passes', async () => {
      const topic = uniqueTopic();
      const cursor = await headCursor(h(), topic);
      const res = await fetch(h().route('long-poll', { topics: topic, cursor, timeout: '0.3' }), {
        headers: await h().auth(),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ events: [], cursor });
    });

    spec('says reset for a cursor of another epoch', async () => {
      const topic = uniqueTopic();
      const res = await fetch(
        h().route('long-poll', { topics: topic, cursor: 'zzzzforeign0-9', timeout: '20' }),
        {
          headers: await h().auth(),
        },
      );
      const body = (await res.json()) as PollBody;
      expect(body.reset).toBe(true);
      expect(body.events).toEqual([]);
      // The start of this epoch: the next poll gets what the log retains.
      expect(body.cursor).toMatch(/-0$/);
    });

    spec('refuses a malformed timeout with 400', async () => {
      const headers = await h().auth();
      for (const timeout of ['abc', '-1', '1e3', '10s']) {
        const res = await fetch(h().route('long-poll', { topics: 'a', timeout }), { headers });
        expect(res.status, timeout).toBe(400);
        expect(await errorCode(res)).toBe('bad_request');
      }
    });
  });
}
