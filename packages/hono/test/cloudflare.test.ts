import { baseConfig, CONFORMANCE_SECRET } from '@tidings/conformance';
import { signJwt } from '@tidings/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse, readWs, type SseReader, type WsReader } from './support/clients.ts';
import { createWorkerBundler, type RunningWorker, startWorker } from './support/workerd-target.ts';

const bundled = createWorkerBundler();
let worker: RunningWorker;
const open: (SseReader | WsReader)[] = [];

beforeAll(async () => {
  worker = await startWorker(await bundled(), baseConfig({ heartbeatMs: 60_000, sseHeartbeatMs: 60_000 }));
}, 30_000);
afterAll(async () => {
  for (const client of open) client.close();
  await worker?.mf.dispose();
});

async function auth(): Promise<Record<string, string>> {
  const exp = Math.floor(Date.now() / 1000) + 600;
  return {
    authorization: `Bearer ${await signJwt({ sub: 'reader', role: 'subscriber', exp }, CONFORMANCE_SECRET)}`,
  };
}

/** Publishes from the Worker's own code: a control route calling the object's `publish` over RPC. */
async function serverPublish(topic: string, data: unknown, room?: string): Promise<string> {
  const response = await fetch(`${worker.origin}/control/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic, data, room }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { id: string }).id;
}

describe('@tidings/hono/cloudflare on workerd', () => {
  it('fans a publish from one request out to streams and sockets held by other requests', async () => {
    const sse = await readSse(`${worker.origin}/realtime/sse?topics=news`, await auth());
    open.push(sse);
    const ws = await readWs(`${worker.origin}/realtime/ws?topics=news`, await auth());
    open.push(ws);
    await ws.waitFor('welcome');
    const id = await serverPublish('news', { headline: 'one object, many requests' });
    const [event] = await sse.waitForEvents(1);
    expect(event!.id).toBe(id);
    expect(await ws.waitFor('event')).toMatchObject({
      id,
      topic: 'news',
      data: { headline: 'one object, many requests' },
    });
  });

  it('runs the operator’s RPCs on the object: presence, head, disconnect and revoke', async () => {
    const operator = async (body: Record<string, unknown>) => {
      const response = await fetch(`${worker.origin}/control/operator`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    };
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + 600;
    const token = await signJwt({ sub: 'visitor', role: 'subscriber', iat, exp }, CONFORMANCE_SECRET);
    const headers = { authorization: `Bearer ${token}` };
    const tabs = [
      await readWs(`${worker.origin}/realtime/ws?topics=presence-lobby`, headers),
      await readWs(`${worker.origin}/realtime/ws?topics=presence-lobby`, headers),
    ];
    open.push(...tabs);
    await Promise.all(tabs.map((tab) => tab.waitFor('welcome')));
    await expect
      .poll(() => operator({ op: 'presence', topic: 'presence-lobby' }))
      .toEqual({ users: ['visitor'], connections: 2 });
    const { head } = await operator({ op: 'head' });
    expect(head).toMatch(/^[a-z0-9]+-\d+$/);

    const closed = tabs.map(
      (tab) =>
        new Promise((resolve) => tab.socket.once('close', (code, reason) => resolve(`${code} ${reason}`))),
    );
    await operator({ op: 'disconnect', userId: 'visitor' });
    expect(await Promise.all(closed)).toEqual(['1008 kicked', '1008 kicked']);

    await operator({ op: 'revoke', userId: 'visitor', untilMs: Date.now() + 60_000 });
    const refused = await fetch(`${worker.origin}/realtime/poll?topics=news`, { headers });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('revoked');
  });

  it('keeps one hub per name: a room’s events stay in its own Durable Object', async () => {
    const inA = await readSse(`${worker.origin}/rooms/a/realtime/sse?topics=chat`, await auth());
    const inB = await readSse(`${worker.origin}/rooms/b/realtime/sse?topics=chat`, await auth());
    open.push(inA, inB);
    expect([inA.response.status, inB.response.status]).toEqual([200, 200]);
    const forB = await serverPublish('chat', 'for b', 'b');
    const forA = await serverPublish('chat', 'for a', 'a');
    expect((await inA.waitForEvents(1)).map((e) => e.id)).toEqual([forA]);
    expect((await inB.waitForEvents(1)).map((e) => e.id)).toEqual([forB]);
    // Each room's object keeps its own log: ids are not shared across rooms.
    const head = await fetch(`${worker.origin}/rooms/a/realtime/poll?topics=chat&cursor=${forA}`, {
      headers: await auth(),
    });
    expect(await head.json()).toEqual({ events: [], cursor: forA });
  });
});
