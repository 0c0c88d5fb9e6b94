import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Client, createClient, type TransportName } from '../src/index.ts';
import { startServer, type TestServer } from './support/server.ts';
import { next, publishMany, waitFor } from './support/wait.ts';

let server: TestServer;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startServer();
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});
afterAll(() => server.close());

const TRANSPORTS: TransportName[] = ['ws', 'sse', 'long-poll', 'poll'];

describe('server restart (same hub, so retention keeps the events)', () => {
  // One server is restarted under all four clients at once, twice: the first drop comes before any
  // event was seen (resume from the cursor taken at connect), the second in the middle of a stream.
  it('every transport reconnects on its own transport and loses nothing', async () => {
    const got = new Map<TransportName, string[]>();
    const fallbacks: string[] = [];
    const reconnects = new Map<TransportName, number>();
    for (const transport of TRANSPORTS) {
      const client = createClient({
        url: server.url,
        transports: transport === 'ws' ? ['ws', 'sse'] : [transport],
        sharedConnection: false,
        reconnectDelayMs: 50,
        maxReconnectDelayMs: 200,
        pollIntervalMs: 50,
      });
      clients.push(client);
      got.set(transport, []);
      reconnects.set(transport, 0);
      client.subscribe('feed', (_data, envelope) => got.get(transport)!.push(envelope.id));
      client.on('fallback', (info) => fallbacks.push(`${info.from}→${info.to}`));
      client.on('reconnecting', () => reconnects.set(transport, reconnects.get(transport)! + 1));
      await next(client, 'open');
    }
    // The long poller is waiting on the server again.
    await waitFor(() => server.hub.stats().connections.total === 3, 5000, 'three connections');

    const ids: string[] = [];
    await server.stop();
    ids.push(...(await publishMany(server.hub, 'feed', 3)));
    await server.start();
    ids.push(...(await publishMany(server.hub, 'feed', 3, 3)));
    for (const transport of TRANSPORTS) await waitFor(() => got.get(transport)!.length >= 6, 5000, transport);

    ids.push(...(await publishMany(server.hub, 'feed', 3, 6)));
    await server.stop();
    ids.push(...(await publishMany(server.hub, 'feed', 3, 9)));
    await server.start();
    ids.push(...(await publishMany(server.hub, 'feed', 3, 12)));
    for (const transport of TRANSPORTS) {
      await waitFor(() => got.get(transport)!.length >= ids.length, 5000, `${transport} after the restart`);
    }

    for (const transport of TRANSPORTS) expect(got.get(transport), transport).toEqual(ids);
    expect(clients.map((c) => c.transport)).toEqual(TRANSPORTS);
    // A server that is down is not a reason to leave the WebSocket.
    expect(fallbacks).toEqual([]);
    // The streams saw both drops; a long poller between two requests may not notice one.
    expect(reconnects.get('ws')).toBeGreaterThanOrEqual(2);
    expect(reconnects.get('sse')).toBeGreaterThanOrEqual(2);
    expect(reconnects.get('long-poll')).toBeGreaterThanOrEqual(1);
  });
});
