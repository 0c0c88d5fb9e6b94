import { describe, expect } from 'vitest';
import { eventually } from '../clients/inbox.ts';
import { completeResponses, hostOf, openRaw, targetOf } from '../clients/raw-socket.ts';
import { openSse } from '../clients/sse-client.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { errorCode, serverIdle, spec } from './case-kit.ts';
import { headCursor } from './long-poll-cases.ts';

/**
 * Sends `HEAD url` and then `GET {base}/poll` on one connection; resolves to both answers. The GET
 * shows that the HEAD answer ended (a server still "streaming" it would never answer the next).
 */
async function headThenPoll(
  h: Harness,
  url: string,
  headers: string,
): Promise<{ status: number; headers: Record<string, string> }[]> {
  const raw = await openRaw(h.url);
  try {
    const host = `host: ${hostOf(h.url)}\r\n`;
    raw.write(`HEAD ${targetOf(url)} HTTP/1.1\r\n${host}${headers}\r\n`);
    await raw.chunks.until(() => completeResponses(raw.text(), 1).length >= 1, `the answer to HEAD ${url}`);
    const [head] = completeResponses(raw.text(), 1);
    if (/close/i.test(head!.headers.connection ?? '')) return [head!];
    const poll = targetOf(h.route('poll', { topics: uniqueTopic() }));
    raw.write(`GET ${poll} HTTP/1.1\r\n${host}authorization: Bearer ${await h.token('subscriber')}\r\n\r\n`);
    await raw.chunks.until(
      () => completeResponses(raw.text(), 1).length >= 2,
      'the next answer on the connection',
    );
    return completeResponses(raw.text(), 1);
  } finally {
    raw.close();
  }
}

/** HEAD on the routes that accept it (docs/protocol.md): the headers of GET, at once, and no slot. */
export function headCases(h: () => Harness): void {
  describe('HEAD', () => {
    spec(
      'HEAD on sse answers the stream’s headers and ends; the connection serves the next request',
      async () => {
        const auth = `authorization: Bearer ${await h().token('subscriber')}\r\n`;
        const answers = await headThenPoll(h(), h().route('sse', { topics: uniqueTopic() }), auth);
        expect(answers[0]!.status).toBe(200);
        expect(answers[0]!.headers['content-type']).toMatch(/^text\/event-stream/);
        expect(answers[0]!.headers['cache-control']).toContain('no-cache');
        if (answers[1]) expect(answers[1].status).toBe(200);
      },
    );

    spec('HEAD on poll and long-poll answers at once with the headers of GET', async () => {
      const topic = uniqueTopic();
      const cursor = await headCursor(h(), topic);
      const headers = await h().auth();
      const poll = await fetch(h().route('poll', { topics: topic, cursor }), { method: 'HEAD', headers });
      expect(poll.status).toBe(200);
      expect(poll.headers.get('content-type')).toMatch(/^application\/json/);
      expect(poll.headers.get('cache-control')).toContain('no-store');
      expect(await poll.text()).toBe('');
      // At head with a 20 s timeout, a GET would wait; HEAD answers at once (well within the bound).
      const longPoll = await fetch(h().route('long-poll', { topics: topic, cursor, timeout: '20' }), {
        method: 'HEAD',
        headers,
        signal: AbortSignal.timeout(10_000),
      });
      expect(longPoll.status).toBe(200);
      expect(longPoll.headers.get('content-type')).toMatch(/^application\/json/);
      const auth = `authorization: Bearer ${await h().token('subscriber')}\r\n`;
      const answers = await headThenPoll(
        h(),
        h().route('long-poll', { topics: topic, cursor, timeout: '20' }),
        auth,
      );
      expect(answers[0]!.status).toBe(200);
    });

    spec('HEAD gets the refusals GET gets: 401 without a token, 400 for bad topics or timeout', async () => {
      const none = await fetch(h().route('sse', { topics: uniqueTopic() }), { method: 'HEAD' });
      expect(none.status).toBe(401);
      const headers = await h().auth();
      for (const [route, query] of [
        ['sse', { topics: 'has space' }],
        ['poll', { topics: '' }],
        ['long-poll', { topics: uniqueTopic(), timeout: 'abc' }],
      ] as const) {
        const res = await fetch(h().route(route, query), { method: 'HEAD', headers });
        expect(res.status, `${route} ${JSON.stringify(query)}`).toBe(400);
      }
      // The body of a refusal to HEAD is left out, as for any HEAD answer; a GET shows the code.
      expect(await errorCode(await fetch(h().route('sse', { topics: 'has space' }), { headers }))).toBe(
        'bad_request',
      );
    });
  });
}

/** On a server with room for few connections: HEAD on sse takes none of them. */
export function headCapacityCases(h: () => Harness): void {
  describe('HEAD and the connection limit', () => {
    const cleanup = useCleanup();

    spec(
      'HEAD on sse holds no slot: more HEADs than the limit, then the limit’s worth of streams',
      async () => {
        const max = h().config.maxConnections!;
        // Long polls an earlier case left may hold their slots until they answer (see
        // `clientGoneWhileWaiting`): start from an empty server.
        await serverIdle(h(), 10_000);
        // Each HEAD on a connection of its own, kept open: a slot tied to it would stay taken.
        for (let i = 0; i < max + 2; i++) {
          const raw = await openRaw(h().url);
          cleanup(raw.close);
          raw.write(
            `HEAD ${targetOf(h().route('sse', { topics: uniqueTopic() }))} HTTP/1.1\r\nhost: ${hostOf(h().url)}\r\n` +
              `authorization: Bearer ${await h().token('subscriber')}\r\n\r\n`,
          );
          await raw.chunks.until(() => completeResponses(raw.text(), 1).length >= 1, 'the HEAD answer');
          expect(completeResponses(raw.text(), 1)[0]!.status).toBe(200);
        }
        const statuses: number[] = [];
        for (let i = 0; i < max; i++) {
          // A slot the case before this one left may take a moment to be freed: retry a 429 briefly.
          const stream = await eventually(async () => {
            const opened = await openSse(h().route('sse', { topics: uniqueTopic() }), await h().auth());
            if (opened.response.status !== 429) return opened;
            opened.close();
            return undefined;
          }, 'a stream within the limit');
          cleanup(stream.close);
          statuses.push(stream.response.status);
        }
        expect(statuses).toEqual(Array.from({ length: max }, () => 200));
        expect((await h().server.stats()).connections.total).toBe(max);
      },
    );
  });
}
