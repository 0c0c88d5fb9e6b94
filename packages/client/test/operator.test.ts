import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Client, createClient, type TransportName } from '../src/index.ts';
import { startServer, type TestServer } from './support/server.ts';
import { next, waitFor } from './support/wait.ts';

// Tokens are user names with an issue time: `ann@1700000000`.
let server: TestServer;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startServer({
    hub: {
      anonymous: undefined,
      authenticate: (_request, token) => {
        if (!token) return null;
        const [id, iat] = token.split('@');
        return { id, claims: { iat: Number(iat) } };
      },
      presence: (topic) => topic.startsWith('room'),
      presenceGraceMs: 0,
    },
  });
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});
afterAll(() => server.close());

const nowS = () => Math.floor(Date.now() / 1000);
const TRANSPORTS: TransportName[] = ['ws', 'sse', 'long-poll'];

function open(transport: TransportName, user: string, getToken?: () => string): Client {
  const client = createClient<{ room: { text: string }; x: number }>({
    url: server.url,
    transports: [transport],
    sharedConnection: false,
    ...(getToken ? { getToken } : { token: `${user}@${nowS()}` }),
  });
  clients.push(client);
  return client;
}

describe.each(TRANSPORTS)('%s', (transport) => {
  it('delivers presence to on("presence"), typed, and not to subscribe handlers', async () => {
    const topic = `room-${transport}`;
    const watcher = open(transport, 'watcher');
    const seen: string[] = [];
    const data: unknown[] = [];
    watcher.on('presence', ({ topic: t, action, user, id }) => {
      expect(typeof id).toBe('string');
      seen.push(`${t} ${action} ${user}`);
    });
    watcher.subscribe(topic as 'room', (d) => data.push(d));
    await next(watcher, 'open');
    await waitFor(() => seen.includes(`${topic} join watcher`), 5000, 'the watcher’s join');
    const ann = open('ws', 'ann');
    ann.subscribe(topic as 'room', () => {});
    await waitFor(() => seen.includes(`${topic} join ann`), 5000, 'ann’s join');
    ann.close();
    await waitFor(() => seen.includes(`${topic} leave ann`), 5000, 'ann’s leave');
    await server.hub.publish(topic, { text: 'hello' });
    await waitFor(() => data.length === 1, 5000, 'the event');
    expect(data).toEqual([{ text: 'hello' }]);
  });

  it('is kicked: the client stops with the code and does not come back', async () => {
    const user = `kicked-${transport}`;
    // A long poll is reachable only while it waits (docs/operating.md): wait for the server to hold
    // this client's request, after the connections other tests left behind are gone.
    await waitFor(() => server.hub.stats().connections.total === 0, 5000, 'earlier connections to end');
    const client = open(transport, user);
    client.subscribe('x', () => {});
    await next(client, 'open');
    await waitFor(() => server.hub.stats().connections.total > 0, 5000, 'the connection');
    const closed = next(client, 'closed');
    await server.hub.disconnect({ userId: user });
    expect((await closed).error?.code).toBe('kicked');
    expect(client.status).toBe('closed');
  });

  it('is revoked: the client fetches a new token and comes back with it', async () => {
    const user = `revoked-${transport}`;
    let tokens = 0;
    const client = open(transport, user, () => {
      tokens++;
      // The first token is from before the revocation; the next one from after it.
      return `${user}@${tokens === 1 ? nowS() : nowS() + 5}`;
    });
    client.subscribe('x', () => {});
    await next(client, 'open');
    await waitFor(() => server.hub.stats().connections.total > 0, 5000, 'the connection');
    await server.hub.revoke(user, Date.now() + 60_000);
    await next(client, 'open');
    expect(tokens).toBe(2);
    expect(client.status).toBe('open');
  });
});
