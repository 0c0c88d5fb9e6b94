import { describe, expect } from 'vitest';
import { behindProxy } from '../clients/behind-proxy.ts';
import { seatLongPolls } from '../clients/seat-long-polls.ts';
import { openSse } from '../clients/sse-client.ts';
import { openWs, refusedWs } from '../clients/ws-client.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { errorCode, spec } from './case-kit.ts';
import { headCursor } from './long-poll-cases.ts';

/** Graceful shutdown (a server of its own: it does not come back). */
export function shutdownCases(h: () => Harness): void {
  describe('graceful shutdown', () => {
    const cleanup = useCleanup();

    spec(
      'each client is told its own delay: WS close message and 1001, SSE retry: and close, long polls retryMs; then 503',
      async () => {
        const topic = uniqueTopic();
        const ready = await fetch(h().route('ready'));
        expect(ready.status).toBe(200);
        expect(await ready.json()).toEqual({ ready: true });
        const cursor = await headCursor(h(), topic);
        // A WebSocket whose network goes silent: it never completes its closing handshake, so only
        // the drain timeout lets the shutdown finish.
        const { proxy, route } = await behindProxy(h(), cleanup);
        const silent = await openWs(route('ws', { topics: topic }), { headers: await h().auth() });
        cleanup(silent.close);
        await silent.waitFor('welcome');
        proxy.blackhole();
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
        // The config allows exactly these ten connections: once a probe is refused, all are in. (A
        // long-poll probe with timeout 0 frees its slot before it answers.)
        const { polls: waiting, full } = await seatLongPolls(
          3,
          async () =>
            fetch(h().route('long-poll', { topics: topic, cursor: id, timeout: '30' }), {
              headers: await h().auth(),
            }),
          async () =>
            fetch(h().route('long-poll', { topics: topic, timeout: '0' }), { headers: await h().auth() }),
          'every client to be connected',
        );
        await full.body?.cancel();

        await h().server.shutdown();
        expect(silent.ofType('event')).toEqual([]);

        const isDelay = (ms: unknown) => Number.isInteger(ms) && (ms as number) >= 0;
        for (const ws of sockets) {
          expect((await ws.waitForClose()).code).toBe(1001);
          const [notice] = ws.ofType('close');
          expect(notice).toMatchObject({ type: 'close', code: 'unavailable' });
          expect(isDelay(notice!.retryMs)).toBe(true);
        }
        for (const sse of streams) {
          const close = await sse.waitForEvent('close');
          const notice = JSON.parse(close.data) as { code: string; retryMs: number };
          expect(notice.code).toBe('unavailable');
          expect(isDelay(notice.retryMs)).toBe(true);
          // The same delay as `retry:`, which a browser's EventSource follows by itself.
          const retries = sse.inbox.items.flatMap((item) => (item.kind === 'retry' ? [item.ms] : []));
          expect(retries.at(-1)).toBe(notice.retryMs);
          await sse.inbox.closed('the SSE stream');
        }
        for (const res of await Promise.all(waiting)) {
          expect(res.status).toBe(200);
          const body = (await res.json()) as { events: unknown[]; cursor: string; retryMs: number };
          expect(body).toMatchObject({ events: [], cursor: id });
          expect(isDelay(body.retryMs)).toBe(true);
        }
        const draining = await fetch(h().route('ready'));
        expect(draining.status).toBe(503);
        expect(await draining.json()).toEqual({ ready: false });
        for (const route of ['poll', 'long-poll']) {
          const res = await fetch(h().route(route, { topics: topic }), { headers: await h().auth() });
          expect(res.status, route).toBe(503);
          expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
          expect(await errorCode(res)).toBe('unavailable');
        }
        // An EventSource gives up for good on a 503: SSE hears it inside a stream that ends.
        const sse = await openSse(h().route('sse', { topics: topic }), await h().auth());
        expect(sse.response.status).toBe(200);
        const close = JSON.parse((await sse.waitForEvent('close')).data) as { code: string; retryMs: number };
        expect(close.code).toBe('unavailable');
        expect(isDelay(close.retryMs)).toBe(true);
        await sse.inbox.closed('the refusal stream');
        const refused = await refusedWs(h().route('ws', { topics: topic }), { headers: await h().auth() });
        expect(refused.status).toBe(503);
      },
    );
  });
}
