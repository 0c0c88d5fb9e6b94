import { describe, expect } from 'vitest';
import { type Harness, uniqueTopic } from '../harness.ts';
import { errorCode, seqOf, spec } from './case-kit.ts';
import { headCursor } from './long-poll-cases.ts';

/** POST {base}/publish. */
export function publishCases(h: () => Harness): void {
  describe('publish over HTTP', () => {
    const post = async (body: unknown, headers: Record<string, string>) =>
      fetch(h().route('publish'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });

    spec('202 {"id"} for a publisher; ids increase; subscribers see the event', async () => {
      const topic = uniqueTopic();
      const cursor = await headCursor(h(), topic);
      const headers = await h().auth('publisher');
      const first = await post({ topic, data: { n: 1 } }, headers);
      expect(first.status).toBe(202);
      const { id: id1 } = (await first.json()) as { id: string };
      const second = await post({ topic, event: 'custom', data: [2] }, headers);
      const { id: id2 } = (await second.json()) as { id: string };
      expect(seqOf(id2)).toBeGreaterThan(seqOf(id1));
      const poll = await fetch(h().route('poll', { topics: topic, cursor }), { headers: await h().auth() });
      expect(((await poll.json()) as { events: unknown[] }).events).toEqual([
        { id: id1, topic, event: 'message', data: { n: 1 } },
        { id: id2, topic, event: 'custom', data: [2] },
      ]);
    });

    spec('401 without a token, 403 for a subscriber, 403 on a private topic unless admin', async () => {
      const topic = uniqueTopic();
      const none = await post({ topic, data: 1 }, {});
      expect(none.status).toBe(401);
      expect(await errorCode(none)).toBe('unauthorized');
      const subscriber = await post({ topic, data: 1 }, await h().auth('subscriber'));
      expect(subscriber.status).toBe(403);
      expect(await errorCode(subscriber)).toBe('forbidden');
      const privateTopic = uniqueTopic('private');
      const publisher = await post({ topic: privateTopic, data: 1 }, await h().auth('publisher'));
      expect(publisher.status).toBe(403);
      await publisher.body?.cancel();
      const admin = await post({ topic: privateTopic, data: 1 }, await h().auth('admin'));
      expect(admin.status).toBe(202);
      await admin.body?.cancel();
    });

    spec('400 for a body that is not a valid publish', async () => {
      const headers = await h().auth('publisher');
      for (const body of [
        '',
        '{not json',
        '[1,2]',
        '"text"',
        { topic: 'ok' },
        { topic: 'bad topic', data: 1 },
        { topic: 'ok', event: 'bad event', data: 1 },
        { topic: 'x'.repeat(129), data: 1 },
      ]) {
        const res = await post(body, headers);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(await errorCode(res)).toBe('bad_request');
      }
    });

    spec('413 for a body over maxMessageBytes, declared or streamed', async () => {
      const headers = await h().auth('publisher');
      const max = h().config.maxMessageBytes ?? 65_536;
      const big = JSON.stringify({ topic: uniqueTopic(), data: 'x'.repeat(max + 10) });
      const declared = await post(big, headers);
      expect(declared.status).toBe(413);
      expect(await errorCode(declared)).toBe('payload_too_large');
      const bytes = new TextEncoder().encode(big);
      const streamed = await fetch(h().route('publish'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: new ReadableStream<Uint8Array>({
          start(controller) {
            for (let offset = 0; offset < bytes.length; offset += 1024)
              controller.enqueue(bytes.subarray(offset, offset + 1024));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(streamed.status).toBe(413);
      await streamed.body?.cancel();
    });

    spec('405 with Allow for other methods', async () => {
      const res = await fetch(h().route('publish'), { headers: await h().auth('publisher') });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toContain('POST');
      await res.body?.cancel();
    });
  });
}
