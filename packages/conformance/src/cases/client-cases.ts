// @tidings/client is imported by path, not by package name: its tests use @tidings/testing, whose
// tests use this suite, so a dependency on the package would make a workspace cycle (as in
// behind-proxy.ts).

import { describe, expect } from 'vitest';
import { type Client, createClient, type TransportName } from '../../../client/src/index.ts';
import { Inbox } from '../clients/inbox.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { spec } from './case-kit.ts';

const TRANSPORTS: TransportName[] = ['ws', 'sse', 'long-poll', 'poll'];

/**
 * `@tidings/client` (in Node) against the target on each transport alone: it connects with a
 * token, receives what the server publishes, and no URL it builds (every fetch and WebSocket it
 * opens, recorded at the source) carries the token or a `token` parameter.
 */
export function clientCases(h: () => Harness): void {
  describe('@tidings/client', () => {
    const cleanup = useCleanup();

    for (const transport of TRANSPORTS) {
      spec(`${transport}: receives what is published, and puts the token in no URL`, async () => {
        const token = await h().token('subscriber');
        const urls: string[] = [];
        const recordingFetch: typeof fetch = (input, init) => {
          urls.push(input instanceof Request ? input.url : String(input));
          return fetch(input, init);
        };
        class RecordingWebSocket extends WebSocket {
          constructor(url: string | URL, protocols?: string | string[]) {
            urls.push(String(url));
            super(url, protocols);
          }
        }
        const client: Client = createClient({
          url: h().server.url,
          token,
          transports: [transport],
          sharedConnection: false,
          pollIntervalMs: 100,
          fetch: recordingFetch,
          WebSocket: RecordingWebSocket,
        });
        cleanup(() => client.close());
        const topic = uniqueTopic();
        const received = new Inbox<string>();
        client.subscribe(topic, (data) => received.push(String(data)));
        await client.ready();
        await h().publish(topic, 'first');
        await h().publish(topic, 'second');
        await received.until((items) => items.length >= 2, `two events over ${transport}`);
        expect(received.items).toEqual(['first', 'second']);
        expect(client.status).toBe('open');
        expect(urls.length).toBeGreaterThan(0);
        for (const url of urls) {
          expect(url, url).not.toContain(token);
          expect(new URL(url).searchParams.has('token'), url).toBe(false);
        }
      });
    }
  });
}
