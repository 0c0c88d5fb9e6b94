import { createRecorder } from '@tidings/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClientError, createClient, type TransportName } from '../src/index.ts';
import { startServer, type TestServer } from './support/server.ts';
import { publishMany, waitFor } from './support/wait.ts';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

/** A server whose users are their tokens, so that `hub.unsubscribe({ userId })` can name one. */
async function server(): Promise<TestServer> {
  const s = await startServer({
    hub: { anonymous: undefined, authenticate: (_request, token) => (token ? { id: token } : null) },
  });
  open.push(s);
  return s;
}

/** The topics each request on `route` asked for, from the server's log (`a,b`). */
const asked = (s: TestServer, route: TransportName, from: number): string[] =>
  s.requests
    .slice(from)
    .filter((url) => url.startsWith(`/realtime/${route}?`))
    .map((url) => new URLSearchParams(url.slice(url.indexOf('?'))).get('topics')!);

/**
 * Subscribes a client of `user` to `a` and `b`, sees one event of each, has the server take `a`
 * away (`hub.unsubscribe`), then crashes and restarts the server (same hub) while `b` goes on.
 */
async function scenario(transport: TransportName, user: string) {
  const s = await server();
  const client = createClient({
    url: s.url,
    token: user,
    transports: [transport],
    sharedConnection: false,
    reconnectDelayMs: 20,
    maxReconnectDelayMs: 100,
  });
  open.push(client);
  const recorder = createRecorder();
  recorder.attach(client);
  const errors: ClientError[] = [];
  client.on('error', (error) => errors.push(error));
  const onA: ClientError[] = [];
  client.subscribe('a', () => {}, { onError: (error) => onA.push(error) });
  client.subscribe('b', () => {});
  await client.ready();
  // A long poll is reachable only while the server holds it.
  await waitFor(() => s.hub.stats().connections.total === 1, 5000, 'the connection');
  const a = [await s.hub.publish('a', 'before')];
  const b = await publishMany(s.hub, 'b', 2);
  await recorder.waitFor(3);
  return { s, client, recorder, errors, onA, a, b };
}

describe.each(['ws', 'sse'] as TransportName[])('%s: the server unsubscribes a topic', (transport) => {
  it('is reported (unsubscribed), not asked for again, and the cursor holds: every b event once, in order, across a reconnect', async () => {
    const user = `unsub-${transport}`;
    const { s, client, recorder, errors, onA, a, b } = await scenario(transport, user);

    await s.hub.unsubscribe({ userId: user }, 'a');
    await waitFor(() => onA.length === 1, 5000, 'the unsubscribe reported');
    expect(onA[0]).toMatchObject({ name: 'ClientError', code: 'unsubscribed', topic: 'a' });
    expect(errors).toEqual(onA);
    // The notice is not an event: the client is where the last b event left it.
    expect(client.cursor).toBe(b[1]);
    expect(client.status).toBe('open');
    await s.hub.publish('a', 'not for this client');

    // Crash the server; b goes on while the client is away.
    const from = s.requests.length;
    await s.stop();
    b.push(...(await publishMany(s.hub, 'b', 3, 2)));
    await s.hub.publish('a', 'not for this client either');
    await s.start();
    b.push(...(await publishMany(s.hub, 'b', 2, 5)));
    await recorder.waitFor(a.length + b.length);
    // Give a wrongly resubscribed `a` the time to show up.
    await new Promise((resolve) => setTimeout(resolve, 100));
    recorder.assertComplete({ a, b }, { allowResets: false });
    expect(client.transport).toBe(transport);
    // The reconnect asked for b alone: the operator's unsubscribe holds.
    const topics = asked(s, transport, from);
    expect(topics.length).toBeGreaterThan(0);
    expect(new Set(topics)).toEqual(new Set(['b']));
    expect(onA).toHaveLength(1);
  });
});

describe('long-poll: the server unsubscribes a topic', () => {
  // The protocol tells a waiting long poll nothing but its answer (docs/protocol.md): the next poll
  // asks for every topic again and `authorize` decides. What must hold is the cursor.
  it('answers the waiting poll; the next one asks for a again; no b event is lost or repeated', async () => {
    const user = 'unsub-long-poll';
    const { s, client, recorder, errors, a, b } = await scenario('long-poll', user);
    const from = s.requests.length;
    await s.hub.unsubscribe({ userId: user }, 'a');
    await waitFor(() => asked(s, 'long-poll', from).length > 0, 5000, 'the next poll');
    expect(asked(s, 'long-poll', from)[0]).toBe('a,b');

    await s.stop();
    b.push(...(await publishMany(s.hub, 'b', 3, 2)));
    await s.start();
    b.push(...(await publishMany(s.hub, 'b', 2, 5)));
    await recorder.waitFor(a.length + b.length);
    recorder.assertComplete({ a, b }, { allowResets: false });
    expect(errors).toEqual([]);
    expect(client.status).toBe('open');
  });
});

describe('sse: app events named like the control events', () => {
  it('are delivered as events (told apart by their id), and the cursor follows them', async () => {
    const s = await server();
    const client = createClient({ url: s.url, token: 'names', transports: ['sse'], sharedConnection: false });
    open.push(client);
    const recorder = createRecorder();
    recorder.attach(client);
    const errors: ClientError[] = [];
    client.on('error', (error) => errors.push(error));
    client.subscribe('b', () => {});
    await client.ready();
    const ids: string[] = [];
    for (const event of ['reset', 'close', 'unsubscribed', 'message'])
      ids.push(await s.hub.publish('b', { topics: ['b'], cursor: 'x' }, { event }));
    await recorder.waitFor(ids.length);
    recorder.assertComplete({ b: ids }, { allowResets: false });
    expect(recorder.events.map((e) => e.event)).toEqual(['reset', 'close', 'unsubscribed', 'message']);
    expect(client.cursor).toBe(ids.at(-1));
    expect(errors).toEqual([]);
  });
});
