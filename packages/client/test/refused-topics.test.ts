import { createRecorder } from '@tidings/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClientError, createClient, type TransportName } from '../src/index.ts';
import { startServer, type TestServer } from './support/server.ts';
import { next, publishMany, waitFor } from './support/wait.ts';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

/** A server where `secret.*` topics are forbidden to everyone; counts how often each topic is asked about. */
async function server(): Promise<{ s: TestServer; asked: Map<string, number> }> {
  const asked = new Map<string, number>();
  const s = await startServer({
    hub: {
      authorize: (_principal, topic) => {
        asked.set(topic, (asked.get(topic) ?? 0) + 1);
        return !topic.startsWith('secret');
      },
    },
  });
  open.push(s);
  return { s, asked };
}

describe.each(['ws', 'sse', 'long-poll', 'poll'] as TransportName[])(
  '%s: one forbidden topic',
  (transport) => {
    it('is refused alone, named, with its code; the other topics flow; nothing else closes', async () => {
      const { s, asked } = await server();
      const client = createClient({
        url: s.url,
        transports: [transport],
        sharedConnection: false,
        pollIntervalMs: 50,
      });
      open.push(client);
      const recorder = createRecorder();
      recorder.attach(client);
      const clientErrors: ClientError[] = [];
      client.on('error', (e) => clientErrors.push(e));
      const refused: ClientError[] = [];
      client.subscribe('a', () => {}, { onError: (e) => refused.push(e) });
      client.subscribe('secret.x', () => {}, { onError: (e) => refused.push(e) });
      client.subscribe('secret.y', () => {}, { onError: (e) => refused.push(e) });
      await client.ready();
      await waitFor(() => refused.length === 2, 5000, 'both refusals');
      expect(refused.map((e) => [e.topic, e.code, e.status])).toEqual([
        ['secret.x', 'forbidden', 403],
        ['secret.y', 'forbidden', 403],
      ]);
      expect(clientErrors).toEqual(refused);
      expect(client.status).toBe('open');
      expect(client.transport).toBe(transport);

      const ids = await publishMany(s.hub, 'a', 3);
      await s.hub.publish('secret.x', 'never delivered');
      ids.push(...(await publishMany(s.hub, 'a', 2, 3)));
      await recorder.waitFor(5);
      recorder.assertComplete({ a: ids }, { allowResets: false });
      expect(recorder.events.map((e) => e.topic)).not.toContain('secret.x');

      // A later subscription to a refused topic hears of it at once, without asking the server again.
      const late: ClientError[] = [];
      const before = asked.get('secret.x');
      client.subscribe('secret.x', () => {}, { onError: (e) => late.push(e) });
      await waitFor(() => late.length === 1, 2000, 'the late refusal');
      expect(late[0]).toBe(refused[0]);
      expect(asked.get('secret.x')).toBe(before);
      expect(clientErrors).toHaveLength(2);
    });
  },
);

describe('a topic refused on an open WebSocket (subscribe after the welcome)', () => {
  it('is reported alone; the topics subscribed with it in the same turn still flow', async () => {
    const { s } = await server();
    const client = createClient({ url: s.url, transports: ['ws'], sharedConnection: false });
    open.push(client);
    const recorder = createRecorder();
    recorder.attach(client);
    client.subscribe('a', () => {});
    await client.ready();
    const refused: ClientError[] = [];
    // One turn: one `subscribe` message for both, which the server refuses as a whole.
    client.subscribe('b', () => {});
    client.subscribe('secret.z', () => {}, { onError: (e) => refused.push(e) });
    const error = await next(client, 'error');
    expect(error).toMatchObject({ code: 'forbidden', topic: 'secret.z' });
    expect(refused).toEqual([error]);
    await waitFor(() => s.hub.stats().topics === 2, 5000, 'a and b subscribed on the server');
    const ids = [await s.hub.publish('b', 1), await s.hub.publish('a', 2)];
    await recorder.waitFor(2);
    recorder.assertComplete(ids, { allowResets: false });
    expect(client.transport).toBe('ws');
    expect(s.hub.stats().connections.total).toBe(1);
  });
});

describe('a refused topic', () => {
  it('is asked for again once every subscription to it was dropped and one is made anew', async () => {
    const { s, asked } = await server();
    const client = createClient({ url: s.url, transports: ['sse'], sharedConnection: false });
    open.push(client);
    client.subscribe('a', () => {});
    const off = client.subscribe('secret.q', () => {});
    await next(client, 'error');
    const first = asked.get('secret.q')!;
    off();
    // Dropped for a turn at least: changes made in one turn reach the connection as one.
    await new Promise((resolve) => setTimeout(resolve, 10));
    const errors: ClientError[] = [];
    client.subscribe('secret.q', () => {}, { onError: (e) => errors.push(e) });
    await waitFor(() => errors.length === 1, 5000, 'the second refusal');
    expect(asked.get('secret.q')).toBeGreaterThan(first);
  });
});
