import { describe, expect } from 'vitest';
import { eventually } from '../clients/inbox.ts';
import { openSse } from '../clients/sse-client.ts';
import { openWs, refusedWs } from '../clients/ws-client.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { errorCode, spec } from './case-kit.ts';
import { headCursor } from './long-poll-cases.ts';

/** Graceful shutdown (a server of its own: it does not come back). */
export function shutdownCases(h: () => Harness): void {
  describe('graceful shutdown', () => {
    const cleanup = useCleanup();

    spec('WebSockets get 1001, SSE streams get event: close, long polls are answered; then 503', async () => {
      const topic = uniqueTopic();
      const cursor = await headCursor(h(), topic);
      const sockets = [];
      for (let i = 0; i < 3; i++) {
        const ws = await openWs(h().route('ws', { topics: topic }), { headers: await h().auth() });
        cleanup(ws.close);
        await ws.waitFor('welcome');
        sockets.push(ws);
      }
      const streams = [];
      for (let i = 0; i < 3; i++) {
        const sse = await openSse(h().route('sse', { topics: topic }), await h().auth());
        cleanup(sse.close);
        await sse.inbox.until((items) => items.some((x) => x.kind === 'retry'), 'the stream to open');
        streams.push(sse);
      }
      const polls = [];
      for (let i = 0; i < 3; i++) {
        polls.push(
          fetch(h().route('long-poll', { topics: topic, cursor, timeout: '30' }), {
            headers: await h().auth(),
          }),
        );
      }
      const id = await h().publish(topic, 'before shutdown');
      for (const sse of streams) await sse.waitForEnvelopes(1);
      const answered = await Promise.all(polls);
      for (const res of answered)
        expect(((await res.json()) as { events: { id: string }[] }).events[0]!.id).toBe(id);
      const waiting = [];
      for (let i = 0; i < 3; i++) {
        waiting.push(
          fetch(h().route('long-poll', { topics: topic, cursor: id, timeout: '30' }), {
            headers: await h().auth(),
          }),
        );
      }
      // The config allows exactly these nine connections: once a probe is refused, all are in.
      await eventually(async () => {
        const res = await fetch(h().route('long-poll', { topics: topic, timeout: '0' }), {
          headers: await h().auth(),
        });
        await res.body?.cancel();
        return res.status === 429 ? true : undefined;
      }, 'every client to be connected');

      await h().server.shutdown();

      for (const ws of sockets) expect((await ws.waitForClose()).code).toBe(1001);
      for (const sse of streams) {
        const close = await sse.waitForEvent('close');
        expect(JSON.parse(close.data)).toMatchObject({ code: 'unavailable' });
        expect(typeof JSON.parse(close.data).retryMs).toBe('number');
        await sse.inbox.closed('the SSE stream');
      }
      for (const res of await Promise.all(waiting)) {
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ events: [], cursor: id });
      }
      for (const route of ['poll', 'sse', 'long-poll']) {
        const res = await fetch(h().route(route, { topics: topic }), { headers: await h().auth() });
        expect(res.status, route).toBe(503);
        expect(res.headers.get('retry-after')).not.toBeNull();
        expect(await errorCode(res)).toBe('unavailable');
      }
      const refused = await refusedWs(h().route('ws', { topics: topic }), { headers: await h().auth() });
      expect(refused.status).toBe(503);
    });
  });
}
