import { Agent } from 'node:http';
import { describe, expect } from 'vitest';
import { httpGet } from '../clients/http-get.ts';
import { eventually } from '../clients/inbox.ts';
import { openRawWebSocket } from '../clients/raw-websocket.ts';
import { seatLongPolls } from '../clients/seat-long-polls.ts';
import { openSse, type SseStream } from '../clients/sse-client.ts';
import { openWs, refusedWs } from '../clients/ws-client.ts';
import { type Harness, openWitness, uniqueTopic, useCleanup } from '../harness.ts';
import { errorCode, spec } from './case-kit.ts';
import { headCursor } from './long-poll-cases.ts';

/** Per-address and per-user limits (a server with small `maxConnectionsPerIp` and `maxConnectionsPerUser`). */
export function perClientLimitCases(h: () => Harness): void {
  describe('per-client limits', () => {
    const cleanup = useCleanup();

    spec(
      '1,000 long polls from one IP: refused with 429 and Retry-After beyond maxConnectionsPerIp',
      async () => {
        const witness = await openWitness(h());
        cleanup(witness.close);
        const limit = h().config.maxConnectionsPerIp ?? 256;
        const topic = uniqueTopic();
        const cursor = await headCursor(h(), topic);
        // No `sub`: the per-user limit must not be what refuses these.
        const headers = await h().auth('subscriber', { sub: null });
        const url = h().route('long-poll', { topics: topic, cursor, timeout: '30' });
        if (!h().capabilities.clientAddress) {
          // The runtime cannot tell the peer's address, so the per-IP limit must not apply at all.
          const agent = new Agent({ keepAlive: false, maxSockets: limit + 2 });
          cleanup(() => agent.destroy());
          const polls = Array.from({ length: limit + 2 }, () => httpGet(url, headers, agent));
          await expectHeld(h(), topic, polls, limit + 2);
          return;
        }
        // The witness holds one slot from this address; the rest are free for `limit - 1` waiting polls.
        const held = limit - 1;
        const agent = new Agent({ keepAlive: true, maxSockets: held + 16 });
        cleanup(() => agent.destroy());
        const polls = Array.from({ length: 1000 }, () => httpGet(url, headers, agent));
        const refused: Awaited<(typeof polls)[number]>[] = [];
        const pending = polls.map((p) =>
          p.then((answer) => {
            if (answer.status === 429) refused.push(answer);
            return answer;
          }),
        );
        await eventually(
          async () => (refused.length >= 1000 - held ? true : undefined),
          '1000 - limit refusals',
          15_000,
        );
        expect(refused).toHaveLength(1000 - held);
        for (const answer of refused.slice(0, 5)) {
          expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(0);
          expect(JSON.parse(answer.body).error.code).toBe('too_many_connections');
        }
        const id = await h().publish(topic, 'release');
        const answers = await Promise.all(pending);
        const served = answers.filter((a) => a.status === 200);
        expect(served).toHaveLength(held);
        for (const answer of served) expect(JSON.parse(answer.body).events[0].id).toBe(id);
        // The slots are free again once the polls were answered.
        const again = await fetch(h().route('sse', { topics: topic }), { headers: await h().auth() });
        expect(again.status).toBe(200);
        await again.body?.cancel();
        await witness.check();
      },
    );

    spec(
      'maxConnectionsPerUser: 429 on SSE, long poll and WebSocket upgrade; a closed connection frees its slot',
      async () => {
        const limit = h().config.maxConnectionsPerUser ?? 32;
        const sub = `limited-${uniqueTopic()}`;
        const headers = await h().auth('subscriber', { sub });
        const topic = uniqueTopic();
        const streams: SseStream[] = [];
        for (let i = 0; i < limit; i++) {
          const stream = await openSse(h().route('sse', { topics: topic }), headers);
          cleanup(stream.close);
          expect(stream.response.status).toBe(200);
          streams.push(stream);
        }
        const sse = await fetch(h().route('sse', { topics: topic }), { headers });
        expect(sse.status).toBe(429);
        expect(sse.headers.get('retry-after')).not.toBeNull();
        expect(await errorCode(sse)).toBe('too_many_connections');
        const longPoll = await fetch(h().route('long-poll', { topics: topic, timeout: '1' }), { headers });
        expect(longPoll.status).toBe(429);
        await longPoll.body?.cancel();
        const refused = await refusedWs(h().route('ws', { topics: topic }), { headers });
        expect(refused.status).toBe(429);
        expect(refused.headers['retry-after']).toBeDefined();
        const other = await fetch(h().route('poll', { topics: topic }), { headers: await h().auth() });
        expect(other.status).toBe(200);
        await other.body?.cancel();
        streams[0]!.close();
        const ws = await eventually(
          async () => openWs(h().route('ws', { topics: topic }), { headers }).catch(() => undefined),
          'a slot freed by the closed stream',
        );
        cleanup(ws.close);
        await ws.waitFor('welcome');
      },
    );
  });
}

async function expectHeld(
  h: Harness,
  topic: string,
  polls: Promise<{ status: number; body: string }>[],
  count: number,
): Promise<void> {
  // Each poll carries a cursor from before the event, so it gets the event whenever it was admitted.
  const id = await h.publish(topic, 'release');
  const answers = await Promise.all(polls);
  expect(answers.map((a) => a.status)).toEqual(Array(count).fill(200));
  for (const answer of answers) expect(JSON.parse(answer.body).events[0].id).toBe(id);
}

/** The server-wide `maxConnections` limit (a server with a tiny one). */
export function capacityCases(h: () => Harness): void {
  describe('server capacity', () => {
    const cleanup = useCleanup();

    spec(
      'maxConnections counts every transport; refusals are 429 (a real HTTP answer for upgrades)',
      async () => {
        const max = h().config.maxConnections ?? 10_000;
        const topic = uniqueTopic();
        const cursor = await headCursor(h(), topic);
        const sse = await openSse(h().route('sse', { topics: topic }), await h().auth());
        cleanup(sse.close);
        const ws = await openWs(h().route('ws', { topics: topic }), { headers: await h().auth() });
        cleanup(ws.close);
        await ws.waitFor('welcome');
        const controller = new AbortController();
        cleanup(() => controller.abort());
        const hold = async (): Promise<Response> =>
          fetch(h().route('long-poll', { topics: topic, cursor, timeout: '30' }), {
            headers: await h().auth(),
            signal: controller.signal,
          });
        const { polls: waiting, full } = await seatLongPolls(
          max - 2,
          hold,
          async () => fetch(h().route('sse', { topics: topic }), { headers: await h().auth() }),
          'the server to be full',
        );
        expect(full.status).toBe(429);
        expect(full.headers.get('retry-after')).not.toBeNull();
        await full.body?.cancel();
        const raw = await openRawWebSocket(h().route('ws', { topics: topic }), await h().auth());
        cleanup(raw.close);
        expect(raw.handshake.status).toBe(429);
        expect(raw.handshake.headers['retry-after']).toBeDefined();
        // An answered long poll frees its slot; so does one whose client went away.
        const id = await h().publish(topic, 'release');
        // Every seated poll gets the event. (A probe's slot can outlive its client for a moment, so
        // a poll may still have been refused with 429 around the time the server filled up.)
        const seated = (await Promise.all(waiting)).filter((res) => res.status === 200);
        expect(seated.length).toBeGreaterThan(0);
        for (const res of seated)
          expect(((await res.json()) as { events: { id: string }[] }).events[0]!.id).toBe(id);
        const again = await openSse(h().route('sse', { topics: topic }), await h().auth());
        cleanup(again.close);
        expect(again.response.status).toBe(200);
      },
    );

    spec('a long poll whose client goes away frees its slot at once (or at its timeout)', async () => {
      const max = h().config.maxConnections ?? 10_000;
      const topic = uniqueTopic();
      // Where the runtime cannot tell that the client left, the poll holds its slot until it
      // answers: a short timeout then frees it (within the wait below), a long one would not.
      const timeout = h().capabilities.clientGoneWhileWaiting === false ? '2' : '30';
      const controllers: AbortController[] = [];
      const open = async (i: number): Promise<Response> => {
        const controller = new AbortController();
        controllers[i] = controller; // a poll sent again replaces its refused attempt
        cleanup(() => controller.abort());
        return fetch(h().route('long-poll', { topics: topic, timeout }), {
          headers: await h().auth(),
          signal: controller.signal,
        });
      };
      // A long-poll probe with timeout 0 frees its slot before it answers, so its 429 means every
      // held poll is seated.
      const { polls, full } = await seatLongPolls(
        max,
        open,
        async () =>
          fetch(h().route('long-poll', { topics: topic, timeout: '0' }), { headers: await h().auth() }),
        'the server to be full of long polls',
      );
      expect(full.status).toBe(429);
      await full.body?.cancel();
      controllers[0]!.abort();
      const admitted = await eventually(
        async () => {
          const res = await fetch(h().route('sse', { topics: topic }), { headers: await h().auth() });
          if (res.status !== 200) {
            await res.body?.cancel();
            return undefined;
          }
          return res;
        },
        'the aborted poll to free its slot',
        10_000,
      );
      await admitted.body?.cancel();
      for (const controller of controllers) controller.abort();
      await Promise.allSettled(polls);
    });

    spec('refused WebSocket handshakes (bad key, bad version) do not leak connection slots', async () => {
      const max = h().config.maxConnections ?? 10_000;
      for (let i = 0; i < max * 3; i++) {
        const ws = await openRawWebSocket(h().route('ws', { topics: uniqueTopic() }), {
          ...(await h().auth()),
          ...(i % 2 === 0 ? { 'sec-websocket-key': 'bad' } : { 'sec-websocket-version': '7' }),
        });
        ws.close();
        expect([400, 426]).toContain(ws.handshake.status);
      }
      const ws = await eventually(
        async () =>
          openWs(h().route('ws', { topics: uniqueTopic() }), { headers: await h().auth() }).catch(
            () => undefined,
          ),
        'a free slot after refused handshakes',
      );
      cleanup(ws.close);
      await ws.waitFor('welcome');
    });
  });
}
