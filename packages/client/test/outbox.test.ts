import { afterEach, describe, expect, it } from 'vitest';
import {
  type Client,
  ClientError,
  type ClientOptions,
  createClient,
  type PublishInfo,
} from '../src/index.ts';
import { type Rig, startRig } from './support/rig.ts';
import { checkOrder, next, readLog, waitFor } from './support/wait.ts';

const cleanup: { close(): unknown }[] = [];
afterEach(async () => {
  for (const item of cleanup.splice(0).reverse()) await item.close();
});

async function rig(hub: Parameters<typeof startRig>[0] = {}): Promise<Rig> {
  const r = await startRig(hub);
  cleanup.push(r);
  return r;
}

/** The publish messages a client sent over its WebSockets, as JSON. */
function recordingWebSocket(frames: Record<string, unknown>[]): typeof WebSocket {
  return class extends WebSocket {
    override send(data: string): void {
      const message = JSON.parse(data);
      if (message.type === 'publish') frames.push(message);
      super.send(data);
    }
  };
}

/** A client with fast reconnects, its `publish` events in `steps`. */
function client(options: ClientOptions, steps: PublishInfo[] = []): Client {
  const c = createClient({
    sharedConnection: false,
    reconnectDelayMs: 20,
    maxReconnectDelayMs: 200,
    ...options,
  });
  c.on('publish', (info) => steps.push(info));
  cleanup.push(c);
  return c;
}

/** A fetch that records the publishes it posts (key and data) in `frames`, as the WebSocket above does. */
function recordingFetch(frames: Record<string, unknown>[]): typeof fetch {
  return (input, init) => {
    const key = new Headers(init?.headers).get('idempotency-key');
    if (key) frames.push({ ...JSON.parse(init!.body as string), key });
    return fetch(input, init);
  };
}

const statesOf = (steps: PublishInfo[], key: string) =>
  steps.filter((s) => s.key === key).map((s) => s.state);

describe('the outbox', () => {
  it('sends each publish with a key of its own: in the WebSocket message (its ref too), as Idempotency-Key over HTTP', async () => {
    const headers: (string | undefined)[] = [];
    const r = await rig({
      routes: (app) =>
        app.use((req, _res, nextRoute) => {
          if (req.method === 'POST' && req.path.endsWith('/publish'))
            headers.push(req.get('idempotency-key'));
          nextRoute();
        }),
    });
    const frames: Record<string, unknown>[] = [];
    const steps: PublishInfo[] = [];
    const ws = client({ url: r.url, transports: ['ws'], WebSocket: recordingWebSocket(frames) }, steps);
    ws.subscribe('a', () => {});
    await next(ws, 'open');
    const http = client({ url: r.url, transports: ['long-poll'] }, steps);
    const ids = [
      await ws.publish('a', 1),
      await ws.publish('a', 2),
      await http.publish('a', 3),
      await http.publish('a', 4),
    ];

    expect(frames.map(({ key, ref, data }) => ({ key, ref, data }))).toEqual([
      { key: expect.any(String), ref: frames[0]!.key, data: 1 },
      { key: expect.any(String), ref: frames[1]!.key, data: 2 },
    ]);
    expect(headers).toHaveLength(2);
    const keys = [...frames.map((f) => f.key as string), ...(headers as string[])];
    // Distinct, and of the protocol's alphabet (1–128 of A-Z a-z 0-9 . _ ~ : / -).
    expect(new Set(keys).size).toBe(4);
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9._~:/-]{1,128}$/);
    // The app hears each step, with the key.
    const acknowledged = steps.filter((s) => s.state === 'acknowledged');
    expect(acknowledged.map((s) => [s.key, s.id, s.data])).toEqual(
      keys.map((key, i) => [key, ids[i], i + 1]),
    );
    for (const key of keys) expect(statesOf(steps, key)).toEqual(['queued', 'sent', 'acknowledged']);
  });

  it('publishes that meet a lost connection wait, and go out after the reconnect, in order, with the same keys', async () => {
    const r = await rig();
    const { cursor } = await readLog(r.server.url, 'out');
    const frames: Record<string, unknown>[] = [];
    const steps: PublishInfo[] = [];
    // Sent again over the new socket, or with POST if its turn comes before the socket is back.
    const c = client(
      {
        url: r.url,
        transports: ['ws'],
        WebSocket: recordingWebSocket(frames),
        fetch: recordingFetch(frames),
      },
      steps,
    );
    c.subscribe('a', () => {});
    await next(c, 'open');
    const sent = Array.from({ length: 20 }, (_, n) => n);
    r.proxy.pause();
    const publishing = Promise.all(sent.map((n) => c.publish('out', n)));
    // The first is on the wire (held by the paused proxy), the others wait behind it.
    await waitFor(() => frames.length === 1, 5000, 'the first publish on the wire');
    expect(steps.filter((s) => s.state === 'queued')).toHaveLength(20);
    r.proxy.cut();
    r.proxy.resume();
    const ids = await publishing;

    expect(new Set(ids).size).toBe(20);
    // The first went out twice, with its key both times; every other once, in order.
    const first = frames[0]!.key;
    expect(frames.filter((f) => f.key === first)).toHaveLength(2);
    expect(frames.map((f) => f.data)).toEqual([0, 0, ...sent.slice(1)]);
    expect(statesOf(steps, first as string)).toEqual(['queued', 'sent', 'sent', 'acknowledged']);
    const { events } = await readLog(r.server.url, 'out', cursor);
    expect(
      checkOrder(
        events.map((e) => e.data),
        [sent],
      ),
    ).toBe(0);
  });

  it('over HTTP, publishes made while the server is down go out once it is back, in order', async () => {
    const r = await rig();
    const { cursor } = await readLog(r.server.url, 'out');
    const steps: PublishInfo[] = [];
    const c = client({ url: r.url, transports: ['sse'] }, steps);
    c.subscribe('a', () => {});
    await next(c, 'open');
    await r.server.stop();
    const sent = [0, 1, 2, 3, 4];
    const publishing = Promise.all(sent.map((n) => c.publish('out', n)));
    // The first has been tried, and failed, at least once.
    await waitFor(() => steps.filter((s) => s.state === 'sent').length >= 2, 5000, 'a publish tried again');
    expect(steps.some((s) => s.state === 'refused')).toBe(false);
    await r.server.start();
    const ids = await publishing;
    expect(new Set(ids).size).toBe(5);
    const { events } = await readLog(r.server.url, 'out', cursor);
    expect(events.map((e) => e.data)).toEqual(sent);
  });

  it('a refused publish settles with the reason, on each path, and the next one goes on', async () => {
    const r = await rig({
      hub: { authorize: (_principal, topic, action) => action === 'subscribe' || topic !== 'ro' },
    });
    for (const transport of ['ws', 'long-poll'] as const) {
      const steps: PublishInfo[] = [];
      const c = client({ url: r.url, transports: [transport] }, steps);
      c.subscribe('a', () => {});
      await next(c, 'open');
      const refused = c.publish('ro', 1);
      const after = c.publish('a', 2);
      const error = await refused.catch((e: unknown) => e);
      expect(error, transport).toBeInstanceOf(ClientError);
      expect(error, transport).toMatchObject({ code: 'forbidden' });
      expect(typeof (await after)).toBe('string');
      const key = steps[0]!.key;
      expect(statesOf(steps, key), transport).toEqual(['queued', 'sent', 'refused']);
      expect(steps.find((s) => s.state === 'refused')?.error).toBe(error);
    }
  });

  it('is bounded: maxOutbox publishes wait, one more is refused at once with outbox_full', async () => {
    const r = await rig();
    const c = client({ url: r.url, transports: ['ws'], maxOutbox: 3 });
    c.subscribe('a', () => {});
    await next(c, 'open');
    r.proxy.pause();
    const waiting = [c.publish('a', 1), c.publish('a', 2), c.publish('a', 3)];
    const full = await c.publish('a', 4).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(ClientError);
    expect(full).toMatchObject({ code: 'outbox_full' });
    r.proxy.resume();
    expect(await Promise.all(waiting)).toHaveLength(3);
    // Answered: room again.
    expect(typeof (await c.publish('a', 5))).toBe('string');
  });

  it('a publish over the server’s rate limit is sent again, and order holds', async () => {
    const r = await rig({ hub: { maxPublishesPerSecond: 4 } });
    const { cursor } = await readLog(r.server.url, 'out');
    const steps: PublishInfo[] = [];
    const c = client({ url: r.url, transports: ['ws'] }, steps);
    c.subscribe('a', () => {});
    await next(c, 'open');
    const sent = Array.from({ length: 10 }, (_, n) => n);
    await Promise.all(sent.map((n) => c.publish('out', n)));
    // Some went out more than once (refused with rate_limited, then taken).
    expect(steps.filter((s) => s.state === 'sent').length).toBeGreaterThan(10);
    expect(steps.some((s) => s.state === 'refused')).toBe(false);
    const { events } = await readLog(r.server.url, 'out', cursor);
    expect(events.map((e) => e.data)).toEqual(sent);
  });

  it('close() refuses what waits with closed', async () => {
    const r = await rig();
    const steps: PublishInfo[] = [];
    const c = client({ url: r.url, transports: ['ws'] }, steps);
    c.subscribe('a', () => {});
    await next(c, 'open');
    r.proxy.pause();
    const waiting = [c.publish('a', 1), c.publish('a', 2)];
    await waitFor(() => steps.some((s) => s.state === 'sent'), 5000, 'a publish on the wire');
    c.close();
    r.proxy.resume();
    const errors = await Promise.all(waiting.map((p) => p.catch((e: unknown) => e)));
    expect(errors.map((e) => (e as ClientError).code)).toEqual(['closed', 'closed']);
    expect(steps.filter((s) => s.state === 'refused').map((s) => s.data)).toEqual([1, 2]);
  });
});
