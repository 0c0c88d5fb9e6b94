import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { respond, toResponse, upgrade } from '../src/adapter.ts';
import { Admission } from '../src/internal/admission.ts';
import { fuzz } from './support/fuzz.ts';
import {
  advance,
  call,
  fakeStream,
  flush,
  makeHub,
  openWs,
  request,
  useFakeClock,
} from './support/harness.ts';
import { start } from './support/pending.ts';
import { readSse } from './support/sse-reader.ts';

beforeEach(useFakeClock);

describe('Admission (maxConnectionsPerSecond)', () => {
  it('admits at most `limit` in any 1000 ms, however the arrivals fall; the refused queue at its pace', () => {
    fuzz(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 300 }),
        (limit, gaps) => {
          const admission = new Admission(limit);
          const admitted: number[] = [];
          const places: number[] = [];
          let now = 1_000_000;
          for (const gap of gaps) {
            now += gap;
            const waitMs = admission.take(now);
            if (waitMs === undefined) admitted.push(now);
            else {
              expect(waitMs).toBeGreaterThan(0);
              expect(waitMs).toBeLessThanOrEqual(30_000);
              places.push(now + waitMs);
            }
          }
          // The window slides: every admission, with those of the 1000 ms before it, is within the limit.
          for (const [i, at] of admitted.entries()) {
            const inWindow = admitted.slice(0, i + 1).filter((t) => t > at - 1000).length;
            expect(inWindow).toBeLessThanOrEqual(limit);
          }
          // A full window admits nothing more: the limit is also reached, not only respected.
          if (places.length > 0) expect(admitted.length).toBeGreaterThanOrEqual(limit);
          // Each refused arrival gets its own place, later than the one before (no crowd returns at once).
          for (let i = 1; i < places.length; i++) {
            expect(places[i]!).toBeGreaterThanOrEqual(Math.floor(places[i - 1]!));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('spaces a crowd refused together 1000 / limit ms apart, from when the window frees', () => {
    const admission = new Admission(4);
    for (let i = 0; i < 4; i++) expect(admission.take(1000)).toBeUndefined();
    const waits = Array.from({ length: 8 }, () => admission.take(1000));
    expect(waits).toEqual([1000, 1250, 1500, 1750, 2000, 2250, 2500, 2750]);
    // Coming back at their places, they are admitted (as long as nobody else took the room).
    expect(admission.take(2000)).toBeUndefined();
    expect(admission.take(2250)).toBeUndefined();
  });

  it('never tells anyone to wait more than 30 s', () => {
    const admission = new Admission(1);
    admission.take(0);
    const waits = Array.from({ length: 100 }, () => admission.take(0)!);
    expect(Math.max(...waits)).toBe(30_000);
  });
});

describe('the hub throttles new WebSockets and SSE streams', () => {
  it('past maxConnectionsPerSecond: a 503 upgrade, an SSE stream that says close, each with its own delay', async () => {
    const hub = makeHub({ anonymous: true, maxConnectionsPerSecond: 2 });
    await openWs(hub, '?topics=a');
    const sse = readSse(await call(hub, 'sse?topics=a'));
    await flush();
    expect(sse.comments[0]).toMatch(/^open/);

    const refused = await upgrade(hub, request('ws?topics=a'));
    expect(refused.accepted).toBe(false);
    if (refused.accepted) throw new Error('admitted');
    const answer = toResponse(refused.answer);
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    const firstWait = Number(answer.headers.get('retry-after'));
    expect(firstWait).toBeGreaterThanOrEqual(1);

    // An EventSource gives up on a 503: an SSE request hears it inside a 200 stream.
    const stream = fakeStream();
    await respond(hub, request('sse?topics=a'), { stream: stream.port });
    expect(stream.status).toBe(200);
    const text = stream.chunks.join('');
    const retry = Number(/^retry: (\d+)\n/.exec(text)?.[1]);
    expect(text).toContain(`event: close\ndata: {"code":"unavailable","retryMs":${retry}}\n\n`);
    expect(stream.ended).toBe(true);
    // Its place is after the WebSocket's: one by one, never the same moment.
    expect(retry).toBeGreaterThan(0);
    expect(hub.stats().connections).toMatchObject({ total: 2, ws: 1, sse: 1 });

    // Polls and long polls are not counted: they come back after every answer anyway.
    expect((await call(hub, 'poll?topics=a')).status).toBe(200);
    const poll = start(hub, 'long-poll?topics=a');
    await flush();
    expect(hub.stats().connections.longPoll).toBe(1);
    poll.abort();

    await advance(1000);
    await openWs(hub, '?topics=a');
    expect(hub.stats().connections.ws).toBe(2);
  });

  it('counts an arrival before its credential is checked, so a crowd costs a clock reading each', async () => {
    let checked = 0;
    const hub = makeHub({
      maxConnectionsPerSecond: 1,
      authenticate: () => {
        checked++;
        return { id: 'u' };
      },
    });
    await openWs(hub, '?topics=a');
    for (let i = 0; i < 5; i++) {
      const decision = await upgrade(hub, request('ws?topics=a'));
      expect(decision.accepted).toBe(false);
    }
    expect(checked).toBe(1);
  });
});
