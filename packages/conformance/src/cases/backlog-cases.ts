import { createSseParser, type SseMessage } from '@tidings/core/protocol';
import { describe, expect } from 'vitest';
import { dechunk } from '../clients/dechunk.ts';
import { eventually } from '../clients/inbox.ts';
import { hostOf, openRaw, parseRawResponse, type RawConnection, targetOf } from '../clients/raw-socket.ts';
import { openRawWebSocket } from '../clients/raw-websocket.ts';
import { openSse } from '../clients/sse-client.ts';
import { openWs } from '../clients/ws-client.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { seqOf, serverIdle, spec } from './case-kit.ts';

// Publishers working at once: enough to fill a backlog quickly over HTTP, few enough to stay polite.
const PUBLISHERS = 8;
// Large events (under the default maxMessageBytes, 64 KiB) to fill a socket that is not read.
const LARGE_CHARS = 60_000;

/** Publishes `count` events on `topic` (`data(i)` each) and resolves to their ids in log order. */
async function publishMany(h: Harness, topic: string, count: number, data: (i: number) => unknown) {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: PUBLISHERS }, async () => {
      while (next < count) ids.push(await h.publish(topic, data(next++)));
    }),
  );
  return ids.sort((a, b) => seqOf(a) - seqOf(b));
}

/**
 * A client resumes `count` retained events of about `bytes` each, over SSE and then WebSocket, and
 * must get every one of them in order, with nothing dropped.
 */
async function resumeWhole(
  h: Harness,
  count: number,
  bytes: number,
  cleanup: (close: () => unknown) => void,
) {
  const topic = uniqueTopic();
  const pad = 'r'.repeat(bytes);
  const [first, ...rest] = await publishMany(h, topic, count + 1, (i) => ({ i, pad }));
  const before = (await h.server.stats()).dropped;
  const sse = await openSse(h.route('sse', { topics: topic, cursor: first }), await h.auth());
  cleanup(sse.close);
  expect(sse.response.status).toBe(200);
  const got = await sse.waitForEnvelopes(count, 20_000);
  expect(got.map((e) => e.id)).toEqual(rest);
  expect(sse.events().some((m) => m.event === 'close')).toBe(false);
  sse.close();
  const ws = await openWs(h.route('ws', { topics: topic, cursor: first }), { headers: await h.auth() });
  cleanup(ws.close);
  const events = await ws.waitFor('event', count, 20_000);
  expect(events.map((e) => e.id)).toEqual(rest);
  expect(ws.socket.readyState).toBe(ws.socket.OPEN);
  expect((await h.server.stats()).dropped).toBe(before);
}

/** Parses what a raw SSE connection received (a chunked body or a close-delimited one). */
function sseMessages(raw: RawConnection): SseMessage[] {
  const received = raw.received();
  const head = parseRawResponse(raw.text())!;
  const body = received.subarray(received.indexOf('\r\n\r\n') + 4);
  const text = head.headers['transfer-encoding']?.includes('chunked') ? dechunk(body).data : body;
  const messages: SseMessage[] = [];
  createSseParser({ onEvent: (m) => messages.push(m) }).push(text.toString('utf8'));
  return messages;
}

/** On the main server (default maxBufferedBytes, 1 MiB): the backlog a healthy client resumes. */
export function backlogCases(h: () => Harness): void {
  describe('resuming a backlog', () => {
    const cleanup = useCleanup();

    spec(
      'a client resuming 999 events of ~0.8 KB gets all of them, over SSE and over WebSocket',
      async () => {
        await resumeWhole(h(), 999, 700, cleanup);
      },
    );
  });
}

/**
 * On a server with a 64 KiB outbound limit, room for four connections, SSE heartbeats every
 * 300 ms (the bound a stalled replay gets) and WebSocket heartbeats too slow to matter.
 */
export function backpressureCases(h: () => Harness): void {
  describe('backpressure: replays paced by the reader, stuck peers let go', () => {
    const cleanup = useCleanup();

    spec('a client resuming ~45 KB gets all of it, over SSE and over WebSocket', async () => {
      await serverIdle(h());
      await resumeWhole(h(), 330, 60, cleanup);
    });

    spec(
      'a client resuming six times maxBufferedBytes gets all of it: the replay waits for the reader',
      async () => {
        await serverIdle(h());
        await resumeWhole(h(), 999, 330, cleanup);
      },
    );

    spec('a reader that stalls during a replay is cut with slow_consumer, counted once', async () => {
      await serverIdle(h());
      const topic = uniqueTopic();
      const payload = 'x'.repeat(LARGE_CHARS);
      // 12 MB: more than loopback socket buffers take, so the server's own queue must fill.
      const [first] = await publishMany(h(), topic, 200, () => payload);
      const before = (await h().server.stats()).dropped;
      const raw = await openRaw(h().url);
      cleanup(raw.close);
      raw.write(
        `GET ${targetOf(h().route('sse', { topics: topic, cursor: first }))} HTTP/1.1\r\nhost: ${hostOf(h().url)}\r\n` +
          `authorization: Bearer ${await h().token('subscriber')}\r\naccept: text/event-stream\r\n\r\n`,
      );
      await raw.chunks.until(() => /retry:/.test(raw.text()), 'the stream to open');
      raw.socket.pause();
      await eventually(
        async () => ((await h().server.stats()).dropped > before ? true : undefined),
        'the stalled reader to be cut',
        10_000,
      );
      raw.socket.resume();
      await raw.chunks.until(
        () => sseMessages(raw).some((m) => m.event === 'close'),
        'the close event behind what was queued',
        10_000,
      );
      const messages = sseMessages(raw);
      const close = messages.find((m) => m.event === 'close')!;
      expect(JSON.parse(close.data)).toMatchObject({ code: 'slow_consumer' });
      expect(messages.filter((m) => m.event === 'message').length).toBeLessThan(199);
      // Whatever was left of the backlog, the cut counts once.
      expect((await h().server.stats()).dropped).toBe(before + 1);
    });

    spec(
      'peers cut as slow consumers give their slots back at once, while they still do not read',
      async () => {
        await serverIdle(h());
        const max = h().config.maxConnections!;
        const topic = uniqueTopic();
        const before = (await h().server.stats()).dropped;
        // Half of the stuck peers on WebSocket where the runtime reports a socket's queue, else all SSE.
        const wsPeers = h().capabilities.webSocketBackpressure === false ? 0 : max / 2;
        for (let i = 0; i < wsPeers; i++) {
          const peer = await openRawWebSocket(h().route('ws', { topics: topic }), await h().auth());
          cleanup(peer.close);
          expect(peer.handshake.status).toBe(101);
          await peer.frames.until((f) => f.length >= 1, 'the welcome');
          peer.raw.socket.pause();
        }
        for (let i = wsPeers; i < max; i++) {
          const peer = await openRaw(h().url);
          cleanup(peer.close);
          peer.write(
            `GET ${targetOf(h().route('sse', { topics: topic }))} HTTP/1.1\r\nhost: ${hostOf(h().url)}\r\n` +
              `authorization: Bearer ${await h().token('subscriber')}\r\naccept: text/event-stream\r\n\r\n`,
          );
          await peer.chunks.until(() => /retry:/.test(peer.text()), 'the stream to open');
          peer.socket.pause();
        }
        const full = await openSse(h().route('sse', { topics: uniqueTopic() }), await h().auth());
        full.close();
        expect(full.response.status).toBe(429);
        const payload = 'x'.repeat(LARGE_CHARS);
        for (let i = 0; i < 400 && (await h().server.stats()).dropped < before + max; i++) {
          await h().publish(topic, payload);
        }
        expect((await h().server.stats()).dropped).toBe(before + max);
        // Every slot is free again, though the stuck peers have not read or closed anything.
        for (let i = 0; i < max; i++) {
          const stream = await openSse(h().route('sse', { topics: uniqueTopic() }), await h().auth());
          cleanup(stream.close);
          expect(stream.response.status).toBe(200);
        }
      },
    );
  });
}
