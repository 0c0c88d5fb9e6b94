import { describe, expect } from 'vitest';
import { openSse, type SseStream } from '../clients/sse-client.ts';
import { openWs, UpgradeRefused, type WsClient } from '../clients/ws-client.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { errorCode, spec } from './case-kit.ts';

/** The cap of the throttle server (`maxConnectionsPerSecond`). */
export const THROTTLE_PER_SECOND = 2;

// Arrivals at once: far more than the cap, so some are refused however slowly the machine answers.
const CROWD = 16;

/** The admission throttle and the readiness route (a server with `maxConnectionsPerSecond: 2`). */
export function admissionCases(h: () => Harness): void {
  describe('admission throttle', () => {
    const cleanup = useCleanup();

    spec(
      'a crowd of WebSockets and SSE streams: at most the cap per second in, the rest told when to come back',
      async () => {
        const topic = uniqueTopic();
        const startedAt = performance.now();
        const attempts = Array.from({ length: CROWD }, async (_, i) => {
          const headers = await h().auth();
          if (i % 2 === 0) {
            try {
              const ws: WsClient = await openWs(h().route('ws', { topics: topic }), { headers });
              cleanup(ws.close);
              return { admitted: true } as const;
            } catch (error) {
              if (!(error instanceof UpgradeRefused)) throw error;
              expect(error.status).toBe(503);
              expect(JSON.parse(error.body).error.code).toBe('unavailable');
              return { admitted: false, waitMs: Number(error.headers['retry-after']) * 1000 } as const;
            }
          }
          const sse: SseStream = await openSse(h().route('sse', { topics: topic }), headers);
          cleanup(sse.close);
          // A refusal is a 200 stream too (an EventSource gives up on anything else): it says `close`.
          expect(sse.response.status).toBe(200);
          const first = await sse.inbox.until(
            (items) =>
              items.some((x) => x.kind === 'event' || (x.kind === 'comment' && x.text.startsWith('open'))),
            'the stream to open or refuse',
          );
          const close = first.find((x) => x.kind === 'event');
          if (close?.kind !== 'event') return { admitted: true } as const;
          expect(close.message.event).toBe('close');
          const notice = JSON.parse(close.message.data) as { code: string; retryMs: number };
          expect(notice.code).toBe('unavailable');
          const retries = first.flatMap((x) => (x.kind === 'retry' ? [x.ms] : []));
          expect(retries).toEqual([notice.retryMs]);
          await sse.inbox.closed('the refusal stream');
          return { admitted: false, waitMs: notice.retryMs } as const;
        });
        const results = await Promise.all(attempts);
        const elapsedS = (performance.now() - startedAt) / 1000;
        const admitted = results.filter((r) => r.admitted).length;
        const refused = results.flatMap((r) => (r.admitted ? [] : [r.waitMs]));
        // However long the crowd took to be answered, no more got in than the cap allows in that time.
        expect(admitted).toBeLessThanOrEqual(THROTTLE_PER_SECOND * (Math.ceil(elapsedS) + 1));
        expect(admitted).toBeGreaterThanOrEqual(THROTTLE_PER_SECOND);
        expect(refused.length).toBeGreaterThan(0);
        for (const waitMs of refused) expect(waitMs).toBeGreaterThan(0);

        // Polls are not throttled: they come back after every answer anyway.
        const poll = await fetch(h().route('poll', { topics: topic }), { headers: await h().auth() });
        expect(poll.status).toBe(200);
        await poll.body?.cancel();
      },
    );

    spec('the readiness route answers without a credential', async () => {
      const ready = await fetch(h().route('ready'));
      expect(ready.status).toBe(200);
      expect(ready.headers.get('cache-control')).toBe('no-store');
      expect(await ready.json()).toEqual({ ready: true });
      const post = await fetch(h().route('ready'), { method: 'POST' });
      expect(post.status).toBe(405);
      expect(await errorCode(post)).toBe('method_not_allowed');
    });
  });
}
