import { createSseParser, type SseMessage } from '@tidings/core/protocol';
import { describe, expect } from 'vitest';
import { dechunk } from '../clients/dechunk.ts';
import { hostOf, openRaw, parseRawResponse, targetOf } from '../clients/raw-socket.ts';
import { OPCODES, openRawWebSocket } from '../clients/raw-websocket.ts';
import { openSse } from '../clients/sse-client.ts';
import { openWs } from '../clients/ws-client.ts';
import { type Harness, openWitness, uniqueTopic, useCleanup } from '../harness.ts';
import { spec } from './case-kit.ts';

// Enough bytes (12 MB) to fill any loopback socket buffers (a few MB) and then the server's own
// limit; each event stays under the default maxMessageBytes (64 KiB).
const EVENT_CHARS = 60_000;
const MAX_EVENTS = 200;

/**
 * True once the received bytes end with the zero-size last chunk of a chunked body. SSE payloads
 * here are JSON lines, which never hold a bare CR, so the sequence cannot occur inside the data.
 */
function endsChunked(chunks: Buffer[]): boolean {
  return Buffer.concat(chunks.slice(-2)).subarray(-7).toString('latin1') === '\r\n0\r\n\r\n';
}

/**
 * Publishes up to MAX_EVENTS large events, each only after a healthy subscriber received the one
 * before: the healthy client never falls behind, so only the client that does not read can hit
 * `maxBufferedBytes`.
 */
async function pump(h: Harness, topic: string, received: () => number): Promise<number> {
  const payload = 'x'.repeat(EVENT_CHARS);
  for (let i = 0; i < MAX_EVENTS; i++) {
    await h.publish(topic, payload);
    const deadline = Date.now() + 5000;
    while (received() < i + 1) {
      if (Date.now() > deadline) throw new Error(`the healthy client stalled at event ${i}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return MAX_EVENTS;
}

/** Clients that stop reading are disconnected at the buffer limit; others are unaffected. */
export function slowConsumerCases(h: () => Harness): void {
  describe('slow consumers', () => {
    const cleanup = useCleanup();

    spec('an SSE client that never reads gets event: close (slow_consumer) and its stream ends', async () => {
      const witness = await openWitness(h());
      cleanup(witness.close);
      const topic = uniqueTopic();
      const raw = await openRaw(h().url);
      cleanup(raw.close);
      raw.write(
        `GET ${targetOf(h().route('sse', { topics: topic }))} HTTP/1.1\r\nhost: ${hostOf(h().url)}\r\n` +
          `authorization: Bearer ${await h().token('subscriber')}\r\naccept: text/event-stream\r\n\r\n`,
      );
      await raw.chunks.until(() => /retry:/.test(raw.text()), 'the slow stream to open');
      raw.socket.pause();
      const healthy = await openSse(h().route('sse', { topics: topic }), await h().auth());
      cleanup(healthy.close);
      await healthy.inbox.until(
        (items) => items.some((i) => i.kind === 'retry'),
        'the healthy stream to open',
      );
      const sent = await pump(h(), topic, () => healthy.events().length);
      raw.socket.resume();
      const response = parseRawResponse(raw.text())!;
      const chunked = response.headers['transfer-encoding']?.includes('chunked') ?? false;
      const bodyBytes = () => raw.received().subarray(raw.received().indexOf('\r\n\r\n') + 4);
      // The answer is over at its last chunk (the connection itself may be kept alive) or at the close.
      await raw.chunks
        .until(() => chunked && endsChunked(raw.chunks.items), 'the slow stream to end', 10_000)
        .catch((error: unknown) => {
          if (!raw.chunks.ended) throw error;
        });
      const body = chunked ? dechunk(bodyBytes()).data : bodyBytes();
      const events: SseMessage[] = [];
      createSseParser({ onEvent: (m) => events.push(m) }).push(body.toString('utf8'));
      const last = events.at(-1)!;
      expect(last.event).toBe('close');
      expect(JSON.parse(last.data)).toMatchObject({ code: 'slow_consumer' });
      expect(events.length - 1).toBeLessThan(sent);
      expect(healthy.events()).toHaveLength(sent);
      expect(healthy.inbox.ended).toBe(false);
      await witness.check();
    });

    spec('a WebSocket client that never reads is closed with 1013', async () => {
      const witness = await openWitness(h());
      cleanup(witness.close);
      const topic = uniqueTopic();
      const raw = await openRawWebSocket(h().route('ws', { topics: topic }), await h().auth());
      cleanup(raw.close);
      expect(raw.handshake.status).toBe(101);
      await raw.frames.until((f) => f.length >= 1, 'the welcome');
      raw.raw.socket.pause();
      const healthy = await openWs(h().route('ws', { topics: topic }), { headers: await h().auth() });
      cleanup(healthy.close);
      await healthy.waitFor('welcome');
      const sent = await pump(h(), topic, () => healthy.ofType('event').length);
      raw.raw.socket.resume();
      if (h().capabilities.webSocketBackpressure !== false) {
        expect(await raw.waitForClose(10_000)).toBe(1013);
        const events = raw.frames.items.filter((f) => f.opcode === OPCODES.text).length - 1;
        expect(events).toBeLessThan(sent);
      }
      expect(healthy.ofType('event')).toHaveLength(sent);
      healthy.send({ type: 'ping' });
      await healthy.waitFor('pong');
      await witness.check();
    });
  });
}
