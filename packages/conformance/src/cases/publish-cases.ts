import { describe, expect } from 'vitest';
import { dechunk } from '../clients/dechunk.ts';
import { sleep } from '../clients/inbox.ts';
import { completeResponses, hostOf, openRaw, targetOf } from '../clients/raw-socket.ts';
import { openWs } from '../clients/ws-client.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { errorCode, seqOf, spec } from './case-kit.ts';
import { headCursor } from './long-poll-cases.ts';

/** A chunked body's payload, as text. */
function dechunked(body: string): string {
  return dechunk(Buffer.from(body, 'latin1')).data.toString('utf8');
}

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

    spec(
      '413 for a declared body whose bytes come after the answer could; the connection stays usable',
      async () => {
        const max = h().config.maxMessageBytes ?? 65_536;
        const body = JSON.stringify({ topic: uniqueTopic(), data: 'x'.repeat(max + 10) });
        const raw = await openRaw(h().url);
        try {
          raw.write(
            `POST ${targetOf(h().route('publish'))} HTTP/1.1\r\nhost: ${hostOf(h().url)}\r\n` +
              `authorization: Bearer ${await h().token('publisher')}\r\ncontent-type: application/json\r\n` +
              `content-length: ${Buffer.byteLength(body)}\r\n\r\n`,
          );
          // The body follows a moment later: a server that answers before reading it must still
          // read (or say it closes) before the connection is reused, not reset it.
          await sleep(100);
          raw.write(body);
          await raw.chunks.until(() => completeResponses(raw.text()).length >= 1, 'the 413 answer');
          const [first] = completeResponses(raw.text());
          expect(first!.status).toBe(413);
          expect(
            JSON.parse(first!.body.startsWith('{') ? first!.body : dechunked(first!.body)),
          ).toMatchObject({
            error: { code: 'payload_too_large' },
          });
          if (/close/i.test(first!.headers.connection ?? '')) return;
          raw.write(
            `GET ${targetOf(h().route('poll', { topics: uniqueTopic() }))} HTTP/1.1\r\nhost: ${hostOf(h().url)}\r\n` +
              `authorization: Bearer ${await h().token('subscriber')}\r\n\r\n`,
          );
          await raw.chunks.until(
            () => completeResponses(raw.text()).length >= 2,
            'an answer on the same connection',
          );
          expect(completeResponses(raw.text())[1]!.status).toBe(200);
        } finally {
          raw.close();
        }
      },
    );

    spec('405 with Allow for other methods', async () => {
      const res = await fetch(h().route('publish'), { headers: await h().auth('publisher') });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toContain('POST');
      await res.body?.cancel();
    });
  });

  describe('idempotent publishing', () => {
    const cleanup = useCleanup();
    const post = async (body: unknown, headers: Record<string, string>) =>
      fetch(h().route('publish'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const eventsAfter = async (topic: string, cursor: string) => {
      const poll = await fetch(h().route('poll', { topics: topic, cursor }), { headers: await h().auth() });
      return ((await poll.json()) as { events: { id: string; data: unknown }[] }).events;
    };

    spec(
      'Idempotency-Key: a repeat answers 202 {"id","duplicate":true} with the first id and publishes nothing',
      async () => {
        const topic = uniqueTopic();
        const cursor = await headCursor(h(), topic);
        const sub = `idem-${uniqueTopic()}`;
        const ann = { ...(await h().auth('publisher', { sub })), 'idempotency-key': 'order-1' };
        const first = await post({ topic, data: 1 }, ann);
        expect(first.status).toBe(202);
        const { id } = (await first.json()) as { id: string };
        // The same principal with another token: the key is the principal's, not the token's.
        const again = await post(
          { topic, data: 2 },
          { ...(await h().auth('publisher', { sub })), 'idempotency-key': 'order-1' },
        );
        expect(again.status).toBe(202);
        expect(await again.json()).toEqual({ id, duplicate: true });
        // Another principal's same key is a publish of its own.
        const other = await post(
          { topic, data: 3 },
          { ...(await h().auth('publisher')), 'idempotency-key': 'order-1' },
        );
        expect(other.status).toBe(202);
        const { id: otherId, duplicate } = (await other.json()) as { id: string; duplicate?: true };
        expect(duplicate).toBeUndefined();
        expect((await eventsAfter(topic, cursor)).map((e) => [e.id, e.data])).toEqual([
          [id, 1],
          [otherId, 3],
        ]);
      },
    );

    spec('Idempotency-Key: 400 bad_request for a malformed key, and nothing is published', async () => {
      const topic = uniqueTopic();
      const cursor = await headCursor(h(), topic);
      const headers = await h().auth('publisher');
      for (const key of ['x'.repeat(129), 'with space', 'a,b']) {
        const res = await post({ topic, data: 1 }, { ...headers, 'idempotency-key': key });
        expect(res.status, key).toBe(400);
        expect(await errorCode(res)).toBe('bad_request');
      }
      expect(await eventsAfter(topic, cursor)).toEqual([]);
    });

    spec(
      'WebSocket publish key: a repeat from the same principal is acked with the first id and "duplicate":true',
      async () => {
        const topic = uniqueTopic();
        const sub = `idem-${uniqueTopic()}`;
        const listener = await openWs(h().route('ws', { topics: topic }), { headers: await h().auth() });
        cleanup(listener.close);
        await listener.waitFor('welcome');
        const first = await openWs(h().route('ws'), { headers: await h().auth('publisher', { sub }) });
        cleanup(first.close);
        first.send({ type: 'publish', topic, data: 'once', ref: 'r1', key: 'msg-1' });
        const [ack] = await first.waitFor('ack');
        expect(ack).toEqual({ type: 'ack', ref: 'r1', id: expect.any(String) });
        // A reconnect retrying the same publish: another socket of the same principal.
        const retry = await openWs(h().route('ws'), { headers: await h().auth('publisher', { sub }) });
        cleanup(retry.close);
        retry.send({ type: 'publish', topic, data: 'once', ref: 'r2', key: 'msg-1' });
        retry.send({ type: 'publish', topic, data: 'bad', ref: 'r3', key: 'not a key' });
        const [duplicate] = await retry.waitFor('ack');
        expect(duplicate).toEqual({ type: 'ack', ref: 'r2', id: ack!.id, duplicate: true });
        const [error] = await retry.waitFor('error');
        expect(error).toMatchObject({ type: 'error', code: 'bad_request', ref: 'r3' });
        const marker = await h().publish(topic, 'marker');
        await listener.waitFor('event', 2);
        expect(listener.ofType('event').map((m) => m.id)).toEqual([ack!.id, marker]);
      },
    );
  });
}
