import { afterEach, describe, expect, it } from 'vitest';
import { type Client, createClient, type ResetInfo, type TransportName } from '../src/index.ts';
import { startServer, type TestServer } from './support/server.ts';
import { publishMany, waitFor } from './support/wait.ts';

const cleanup: { close(): unknown }[] = [];
afterEach(async () => {
  for (const item of cleanup.splice(0).reverse()) await item.close();
});

describe.each<TransportName>(['ws', 'sse', 'long-poll', 'poll'])(
  'a reset of some topics over %s',
  (transport) => {
    it('names the position the client resumed from, so what it lacks lies after that cursor', async () => {
      const s: TestServer = await startServer({ hub: { retentionCount: 2 } });
      cleanup.push(s);
      const from = ((await (await fetch(`${s.url}/poll?topics=a`)).json()) as { cursor: string }).cursor;
      // Five events while the client is away; the topic keeps the last two.
      const ids = await publishMany(s.hub, 'a', 5);
      const client: Client = createClient({
        url: s.url,
        topics: ['a'],
        cursor: from,
        transports: [transport],
        sharedConnection: false,
        pollIntervalMs: 50,
      });
      cleanup.push(client);
      const resets: ResetInfo[] = [];
      const got: string[] = [];
      client.on('reset', (info) => resets.push(info));
      client.on('event', (e) => got.push(e.id));
      await waitFor(() => got.length === 2);
      expect(got).toEqual(ids.slice(3));
      // Not the cursor after the replay (a poll answer's own `cursor`): the loss is before those events.
      expect(resets).toEqual([{ cursor: from, topics: ['a'] }]);
    });
  },
);
