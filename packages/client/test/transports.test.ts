import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Client, createClient, type Envelope, type TransportName } from '../src/index.ts';
import { startServer, type TestServer } from './support/server.ts';
import { next, publishMany, waitFor } from './support/wait.ts';

let server: TestServer;
let posts = 0;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startServer({
    routes: (app) =>
      app.use((req, _res, nextRoute) => {
        if (req.method === 'POST' && req.path.endsWith('/publish')) posts++;
        nextRoute();
      }),
  });
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});
afterAll(() => server.close());

type Topics = { a: { n: number }; b: { n: number }; c: { n: number } };
const TRANSPORTS: TransportName[] = ['ws', 'sse', 'long-poll', 'poll'];
const STAT: Record<TransportName, 'ws' | 'sse' | 'longPoll' | undefined> = {
  ws: 'ws',
  sse: 'sse',
  'long-poll': 'longPoll',
  poll: undefined,
};

describe.each(TRANSPORTS)('%s alone', (transport) => {
  it('receives every event on every subscribed topic, in order, once', async () => {
    const client = createClient<Topics>({
      url: server.url,
      transports: [transport],
      sharedConnection: false,
      pollIntervalMs: 50,
    });
    clients.push(client);
    const all: Envelope[] = [];
    const onA: number[] = [];
    client.on('event', (envelope) => all.push(envelope));
    client.subscribe('a', (data) => onA.push(data.n));
    client.subscribe('b', () => {});
    await next(client, 'open');
    expect(client.transport).toBe(transport);
    const stat = STAT[transport];
    // A long poll is a connection while it waits: the first (immediate) answer came already.
    if (stat) await waitFor(() => server.hub.stats().connections[stat] === 1, 5000, `${stat} connection`);
    // The previous test's client closed its connection; the server may still be letting it go.
    await waitFor(
      () => server.hub.stats().connections.total === (stat ? 1 : 0),
      5000,
      'this connection alone',
    );

    const ids = [
      ...(await publishMany(server.hub, 'a', 10)),
      ...(await publishMany(server.hub, 'b', 5)),
      // A burst published in one turn: long polls answer it in batches, streams in big chunks.
      ...(await Promise.all(Array.from({ length: 50 }, (_, n) => server.hub.publish('a', { n: 10 + n })))),
    ];
    await server.hub.publish('c', { n: 0 });
    await waitFor(() => all.length >= ids.length, 5000, 'all events');
    expect(all.map((e) => e.id)).toEqual(ids);
    expect(onA).toEqual([...Array(60).keys()]);
    expect(client.cursor).toBe(ids.at(-1));
  });

  it(`publishes (${transport === 'ws' ? 'over the socket' : 'with POST /publish'}) and resolves to the id`, async () => {
    const client = createClient<Topics>({
      url: server.url,
      transports: [transport],
      sharedConnection: false,
      pollIntervalMs: 50,
    });
    clients.push(client);
    const got: Envelope[] = [];
    client.subscribe('a', (_data, envelope) => got.push(envelope));
    await next(client, 'open');
    const before = posts;
    const id = await client.publish('a', { n: 42 }, { event: 'note' });
    await waitFor(() => got.length === 1, 5000, 'own event');
    expect(got).toEqual([{ id, topic: 'a', event: 'note', data: { n: 42 } }]);
    expect(posts - before).toBe(transport === 'ws' ? 0 : 1);
  });
});

describe('topics', () => {
  it('follows subscribe and unsubscribe on an open connection', async () => {
    for (const transport of ['ws', 'sse'] as const) {
      const client = createClient<Topics>({
        url: server.url,
        transports: [transport],
        sharedConnection: false,
      });
      clients.push(client);
      const got: string[] = [];
      const offA = client.subscribe('a', (d) => got.push(`a${d.n}`));
      await next(client, 'open');
      await server.hub.publish('a', { n: 1 });
      await waitFor(() => got.length === 1);
      client.subscribe('b', (d) => got.push(`b${d.n}`));
      await waitFor(() => server.hub.stats().topics >= 2, 5000, 'topic b on the server');
      // Let an SSE reconnect for the new topic settle before publishing.
      await waitFor(() => client.status === 'open');
      await server.hub.publish('b', { n: 2 });
      await waitFor(() => got.length === 2, 5000, 'event on b');
      offA();
      await waitFor(() => server.hub.stats().topics === 1, 5000, 'topic a dropped');
      await waitFor(() => client.status === 'open');
      await server.hub.publish('a', { n: 3 });
      await server.hub.publish('b', { n: 4 });
      await waitFor(() => got.length === 3, 5000, 'event on b after dropping a');
      expect(got).toEqual(['a1', 'b2', 'b4']);
      client.close();
    }
  });

  it('stays idle without topics and refuses invalid ones', async () => {
    const client = createClient({ url: server.url, sharedConnection: false });
    clients.push(client);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(client.status).toBe('idle');
    expect(() => client.subscribe('bad topic', () => {})).toThrow(TypeError);
    await expect(client.publish('', 1)).rejects.toThrow(TypeError);
    expect(() => createClient({ url: server.url, transports: [] })).toThrow(TypeError);
    expect(() => createClient({ url: server.url, transports: ['ws', 'ws'] })).toThrow(TypeError);
    expect(() => createClient({ url: server.url, openTimeoutMs: -1 })).toThrow(TypeError);
  });
});
