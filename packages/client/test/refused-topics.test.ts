import { createRecorder } from '@tidings/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientOptions, TransportName } from '../src/index.ts';
import { type PlainError, RUNTIMES, type Runtime, startClient, type TestClient } from './support/runtimes.ts';
import { startServer, type TestServer } from './support/server.ts';
import { publishMany, waitFor } from './support/wait.ts';

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

/**
 * A client in `runtime`. Its errors arrive as plain data: `isClientError` is `instanceof ClientError`
 * where the client runs, and `ref` is the same number for the same error object.
 */
async function client(runtime: Runtime, options: ClientOptions): Promise<TestClient> {
  const c = await startClient(runtime, options);
  open.push(c);
  return c;
}

/** What `client.on('error')` heard. */
const errorsOf = (c: TestClient): PlainError[] => c.log.filter((l) => l.name === 'error').map((l) => l.arg);

describe.each(
  RUNTIMES.flatMap((runtime) =>
    (['ws', 'sse', 'long-poll', 'poll'] as TransportName[]).map((t) => [runtime, t] as const),
  ),
)('%s %s: one forbidden topic', (runtime, transport) => {
  it('is refused alone, named, with its code; the other topics flow; nothing else closes', async () => {
    const { s, asked } = await server();
    const c = await client(runtime, { url: s.url, transports: [transport], pollIntervalMs: 50 });
    const recorder = createRecorder();
    recorder.attach(c as never);
    const refused: PlainError[] = [];
    // In one turn, as an app subscribing at start would.
    await c.subscribeTogether([
      { topic: 'a', onError: (e) => refused.push(e) },
      { topic: 'secret.x', onError: (e) => refused.push(e) },
      { topic: 'secret.y', onError: (e) => refused.push(e) },
    ]);
    await c.ready();
    await waitFor(() => refused.length === 2, 5000, 'both refusals');
    // A round trip: whatever the client reported before now has arrived.
    const state = await c.state();
    expect(refused.map((e) => [e.topic, e.code, e.status, e.isClientError])).toEqual([
      ['secret.x', 'forbidden', 403, true],
      ['secret.y', 'forbidden', 403, true],
    ]);
    // The same error objects (`ref`) on the client's `error` event as on each subscription's onError.
    expect(errorsOf(c)).toEqual(refused);
    expect(state.status).toBe('open');
    expect(state.transport).toBe(transport);

    const ids = await publishMany(s.hub, 'a', 3);
    await s.hub.publish('secret.x', 'never delivered');
    ids.push(...(await publishMany(s.hub, 'a', 2, 3)));
    await recorder.waitFor(5);
    recorder.assertComplete({ a: ids }, { allowResets: false });
    expect(recorder.events.map((e) => e.topic)).not.toContain('secret.x');

    // A later subscription to a refused topic hears of it at once, without asking the server again.
    const late: PlainError[] = [];
    const before = asked.get('secret.x');
    await c.subscribe('secret.x', { onError: (e) => late.push(e) });
    await waitFor(() => late.length === 1, 2000, 'the late refusal');
    await c.state();
    expect(late[0]).toEqual(refused[0]);
    expect(late[0]!.ref).toBe(refused[0]!.ref);
    expect(asked.get('secret.x')).toBe(before);
    expect(errorsOf(c)).toHaveLength(2);
  });
});

describe.each(RUNTIMES)(
  '%s: a topic refused on an open WebSocket (subscribe after the welcome)',
  (runtime) => {
    it('is reported alone; the topics subscribed with it in the same turn still flow', async () => {
      const { s } = await server();
      const c = await client(runtime, { url: s.url, transports: ['ws'] });
      const recorder = createRecorder();
      recorder.attach(c as never);
      await c.subscribe('a');
      await c.ready();
      const refused: PlainError[] = [];
      const error = c.next('error');
      // One turn: one `subscribe` message for both, which the server refuses as a whole.
      await c.subscribeTogether([{ topic: 'b' }, { topic: 'secret.z', onError: (e) => refused.push(e) }]);
      const reported = (await error).arg as PlainError;
      expect(reported).toMatchObject({ isClientError: true, code: 'forbidden', topic: 'secret.z' });
      await c.state();
      expect(refused).toEqual([reported]);
      await waitFor(() => s.hub.stats().topics === 2, 5000, 'a and b subscribed on the server');
      const ids = [await s.hub.publish('b', 1), await s.hub.publish('a', 2)];
      await recorder.waitFor(2);
      recorder.assertComplete(ids, { allowResets: false });
      expect((await c.state()).transport).toBe('ws');
      expect(s.hub.stats().connections.total).toBe(1);
    });
  },
);

describe.each(RUNTIMES)('%s: a refused topic', (runtime) => {
  it('is asked for again once every subscription to it was dropped and one is made anew', async () => {
    const { s, asked } = await server();
    const c = await client(runtime, { url: s.url, transports: ['sse'] });
    const error = c.next('error');
    const [, off] = await c.subscribeTogether([{ topic: 'a' }, { topic: 'secret.q' }]);
    expect((await error).arg).toMatchObject({ code: 'forbidden', topic: 'secret.q' });
    const first = asked.get('secret.q')!;
    await off!();
    // Dropped for a turn at least: changes made in one turn reach the connection as one.
    await new Promise((resolve) => setTimeout(resolve, 10));
    const errors: PlainError[] = [];
    await c.subscribe('secret.q', { onError: (e) => errors.push(e) });
    await waitFor(() => errors.length === 1, 5000, 'the second refusal');
    expect(asked.get('secret.q')).toBeGreaterThan(first);
  });
});
