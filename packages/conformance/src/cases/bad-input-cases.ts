import { describe, expect } from 'vitest';
import { sleep } from '../clients/inbox.ts';
import { hostOf, openRaw, parseRawResponse, rawExchange, targetOf } from '../clients/raw-socket.ts';
import { closePayload, OPCODES, openRawWebSocket } from '../clients/raw-websocket.ts';
import { openWs } from '../clients/ws-client.ts';
import { type Harness, openWitness, uniqueTopic, useCleanup, type Witness } from '../harness.ts';
import { spec } from './case-kit.ts';
import { headCursor } from './long-poll-cases.ts';

/**
 * Bad input on the wire. Each case checks the documented status or close code, then that the
 * server still answers and that a second client's stream (the witness) went on unbroken.
 */
export function badInputCases(h: () => Harness): void {
  describe('bad input', () => {
    const cleanup = useCleanup();
    let witness: Witness;
    const open = async () => {
      witness = await openWitness(h());
      cleanup(witness.close);
    };
    const stillServing = async () => {
      await witness.check();
      const res = await fetch(h().route('poll', { topics: uniqueTopic() }), { headers: await h().auth() });
      expect(res.status).toBe(200);
      await res.body?.cancel();
    };
    const eventsSince = async (topic: string, cursor: string) => {
      const res = await fetch(h().route('poll', { topics: topic, cursor }), { headers: await h().auth() });
      return ((await res.json()) as { events: unknown[] }).events;
    };

    spec('malformed query strings get 400', async () => {
      await open();
      const headers = await h().auth();
      for (const search of [
        '?topics=%E0%A4%A',
        '?topics=%',
        '?topics=a%00b',
        '?topics=a%0D%0Ab',
        '?%%%=&&&topics',
        '?topics[]=a',
        '?topics=a&cursor=%FF%FE',
        '?topics=a&cursor=abc-',
        '?topics=a&cursor=abc-1.5',
        '?topics=a&cursor=abc-99999999999999999999',
      ]) {
        for (const route of ['poll', 'sse']) {
          const res = await fetch(`${h().url}/${route}${search}`, { headers });
          expect(res.status, `${route}${search}`).toBe(400);
          await res.body?.cancel();
        }
      }
      // Bytes fetch would never send: a raw control character in the request target.
      const raw = await rawExchange(
        h().url,
        `GET ${targetOf(h().route('poll'))}?topics=a\x01b HTTP/1.1\r\nhost: ${hostOf(h().url)}\r\nconnection: close\r\n\r\n`,
      );
      // Refused by the runtime's HTTP parser before any adapter runs: 400, or 505 from Bun's, which
      // takes the control character for the end of the target and the rest for a bad HTTP version.
      if (raw) expect([400, 505]).toContain(raw.status);
      await stillServing();
    });

    spec('200 topics get 400 on every transport', async () => {
      await open();
      const headers = await h().auth();
      const topics = Array.from({ length: 200 }, (_, i) => `topic.${i}`).join(',');
      for (const route of ['poll', 'long-poll', 'sse']) {
        const res = await fetch(h().route(route, { topics }), { headers });
        expect(res.status, route).toBe(400);
        await res.body?.cancel();
      }
      const ws = await openRawWebSocket(h().route('ws', { topics }), headers);
      cleanup(ws.close);
      expect(ws.handshake.status).toBe(400);
      await stillServing();
    });

    spec('an oversized POST body gets 413 without being buffered whole', async () => {
      await open();
      const max = h().config.maxMessageBytes ?? 65_536;
      const token = await h().token('publisher');
      const raw = await openRaw(h().url);
      cleanup(raw.close);
      raw.write(
        `POST ${targetOf(h().route('publish'))} HTTP/1.1\r\nhost: ${hostOf(h().url)}\r\nauthorization: Bearer ${token}\r\n` +
          `content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`,
      );
      const chunk = `{"topic":"big","data":"${'x'.repeat(8192)}`;
      // Keep streaming (bounded: 64 × maxMessageBytes) until the server answers.
      for (
        let sent = 0;
        sent < max * 64 && !parseRawResponse(raw.text()) && !raw.chunks.ended;
        sent += chunk.length
      ) {
        raw.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
        await sleep(1);
      }
      await raw.chunks.until(
        () => parseRawResponse(raw.text()) !== undefined,
        'an answer to the oversized body',
      );
      expect(parseRawResponse(raw.text())?.status).toBe(413);
      await stillServing();
    });

    spec('a truncated chunked body is refused (400 or closed) and publishes nothing', async () => {
      await open();
      const topic = uniqueTopic();
      const cursor = await headCursor(h(), topic);
      const token = await h().token('publisher');
      const json = JSON.stringify({ topic, data: 'must not be published' });
      const head =
        `POST ${targetOf(h().route('publish'))} HTTP/1.1\r\nhost: ${hostOf(h().url)}\r\n` +
        `authorization: Bearer ${token}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`;
      // The whole JSON arrives, but the body never ends: the client half-closes instead of sending 0\r\n\r\n.
      const cut = await rawExchange(h().url, `${head}${json.length.toString(16)}\r\n${json}\r\n`, {
        endAfterWrite: true,
      });
      if (cut) expect(cut.status).toBe(400);
      // A broken chunk size is malformed HTTP.
      const broken = await rawExchange(h().url, `${head}${json.length.toString(16)}\r\n${json}\r\nzz\r\n`);
      if (broken) expect(broken.status).toBe(400);
      expect(await eventsSince(topic, cursor)).toEqual([]);
      await stillServing();
    });

    spec(
      'a WebSocket handshake with a bad key, version or upgrade is refused before the upgrade',
      async () => {
        await open();
        const headers = await h().auth();
        const url = h().route('ws', { topics: uniqueTopic() });
        const bads: Record<string, string>[] = [
          { 'sec-websocket-key': 'short' },
          { 'sec-websocket-key': '' },
          { 'sec-websocket-version': '12' },
          { 'sec-websocket-version': '' },
          { upgrade: 'h2c' },
        ];
        for (const bad of bads) {
          const ws = await openRawWebSocket(url, { ...headers, ...bad });
          cleanup(ws.close);
          expect([400, 426], JSON.stringify(bad)).toContain(ws.handshake.status);
          ws.close();
        }
        await stillServing();
      },
    );

    spec('a frame over maxPayload closes with 1009', async () => {
      await open();
      const max = h().config.maxMessageBytes ?? 65_536;
      const ws = await openRawWebSocket(h().route('ws'), await h().auth());
      cleanup(ws.close);
      expect(ws.handshake.status).toBe(101);
      ws.send(OPCODES.text, JSON.stringify({ type: 'ping', pad: 'x'.repeat(max) }));
      expect(await ws.waitForClose()).toBe(1009);
      const client = await openWs(h().route('ws'), { headers: await h().auth() });
      cleanup(client.close);
      client.send({ type: 'publish', topic: 'big', data: 'y'.repeat(max + 1) });
      expect((await client.waitForClose()).code).toBe(1009);
      await stillServing();
    });

    spec('an invalid UTF-8 text frame closes with 1007', async () => {
      await open();
      const ws = await openRawWebSocket(h().route('ws'), await h().auth());
      cleanup(ws.close);
      expect(ws.handshake.status).toBe(101);
      ws.send(OPCODES.text, Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0x7d]));
      if (h().capabilities.webSocketFrameChecks !== false) expect(await ws.waitForClose()).toBe(1007);
      await stillServing();
    });

    spec('an invalid close code, an unmasked frame and a reserved opcode close with 1002', async () => {
      await open();
      for (const send of [
        (ws: Awaited<ReturnType<typeof openRawWebSocket>>) => ws.send(OPCODES.close, closePayload(1005)),
        (ws: Awaited<ReturnType<typeof openRawWebSocket>>) =>
          ws.send(OPCODES.close, closePayload(2999, 'bad')),
        (ws: Awaited<ReturnType<typeof openRawWebSocket>>) => ws.send(OPCODES.close, Buffer.from([3])),
        (ws: Awaited<ReturnType<typeof openRawWebSocket>>) =>
          ws.send(OPCODES.text, '{"type":"ping"}', { mask: false }),
        (ws: Awaited<ReturnType<typeof openRawWebSocket>>) => ws.send(0x3, 'x'),
      ]) {
        const ws = await openRawWebSocket(h().route('ws'), await h().auth());
        cleanup(ws.close);
        expect(ws.handshake.status).toBe(101);
        send(ws);
        if (h().capabilities.webSocketFrameChecks !== false) {
          expect(await ws.waitForClose(), send.toString()).toBe(1002);
        }
      }
      await stillServing();
    });
  });
}
