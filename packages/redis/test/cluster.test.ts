import type { NodeInfo } from '@tidings/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type ClusterTestNode,
  connectSse,
  connectWs,
  deleteClusterKeys,
  redisTimeMs,
  type SseClient,
  startNode,
  type WsClient,
} from './helpers/cluster-nodes.ts';
import { type HubProcess, startHubProcess } from './helpers/hub-process.ts';
import { uniquePrefix, useSharedRedis } from './helpers/shared-redis.ts';
import { sleep, waitFor } from './helpers/wait-for.ts';

// Hubs on a real redis-server, each with a broker (a Redis connection) of its own: the nodes of
// one cluster. Bounds are asserted generously (a busy 2-core machine), never as speed.
const redis = useSharedRedis();
const HEARTBEAT_MS = 200;
// Documented (docs/operating.md, "Liveness on Redis"): a node is dead 3 heartbeats after its last
// one and reaped by a survivor's next heartbeat, so it drops out within 4 heartbeats of dying.
const DEAD_AFTER_MS = 3 * HEARTBEAT_MS;
const REAP_BOUND_MS = 4 * HEARTBEAT_MS;
// What the bound leaves out, on a busy 2-core machine: survivors' heartbeat timers firing late, the
// reaping script, the leave going through pub/sub and a WebSocket, and the test's 10 ms polling.
// One more heartbeat covers it; a reap that needed a fifth heartbeat would not fit.
const SCHEDULING_MARGIN_MS = HEARTBEAT_MS;
const prefixes: string[] = [];
const nodes: ClusterTestNode[] = [];
const clients: (WsClient | SseClient)[] = [];
const processes: HubProcess[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(nodes.splice(0).map((node) => node.close()));
  await Promise.all(processes.splice(0).map((child) => child.kill()));
});

afterAll(async () => {
  for (const prefix of prefixes) await deleteClusterKeys(redis.url(), prefix);
});

/** `count` nodes on one fresh prefix. */
async function cluster(
  count: number,
  options: Parameters<typeof startNode>[2] = {},
): Promise<ClusterTestNode[]> {
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  const started = await Promise.all(
    Array.from({ length: count }, () =>
      startNode(redis.url(), prefix, {
        clusterHeartbeatMs: HEARTBEAT_MS,
        presence: (topic) => topic.startsWith('room'),
        presenceGraceMs: 300,
        ...options,
      }),
    ),
  );
  nodes.push(...started);
  return started;
}

function ws(base: string, query: string): WsClient {
  const client = connectWs(base, query);
  clients.push(client);
  return client;
}

function sse(base: string, query: string): SseClient {
  const client = connectSse(base, query);
  clients.push(client);
  return client;
}

describe('maxConnectionsPerUser across nodes on one Redis', () => {
  it.each([2, 3])(
    'holds with %i nodes: the cap is the cluster’s, and a freed seat is usable anywhere',
    async (n) => {
      const all = await cluster(n, { maxConnectionsPerUser: 2 });
      const first = sse(all[0]!.url, 'topics=x&user=ann');
      const second = sse(all[1]!.url, 'topics=x&user=ann');
      expect(await Promise.all([first.status, second.status])).toEqual([200, 200]);
      for (const node of all) {
        const refused = await fetch(`${node.url}/sse?topics=x&user=ann`);
        expect(refused.status).toBe(429);
        expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
          'too_many_connections',
        );
      }
      expect(await sse(all.at(-1)!.url, 'topics=x&user=bob').status).toBe(200);
      first.close();
      // A freed seat goes back to Redis within a turn and one round trip; another node may take it then.
      const deadline = Date.now() + 5000;
      let status = 0;
      while (status !== 200 && Date.now() < deadline) {
        const attempt = sse(all.at(-1)!.url, 'topics=x&user=ann');
        status = await attempt.status;
        if (status !== 200) await sleep(50);
      }
      expect(status).toBe(200);
    },
    15_000,
  );

  it('is exact under a race: 30 connections at once over 3 nodes, cap 4, exactly 4 get in', async () => {
    const all = await cluster(3, { maxConnectionsPerUser: 4 });
    const racers = Array.from({ length: 30 }, (_, i) => sse(all[i % 3]!.url, 'topics=x&user=racer'));
    const statuses = await Promise.all(racers.map((r) => r.status));
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(26);
    const open = all.reduce((sum, node) => sum + node.hub.stats().connections.sse, 0);
    expect(open).toBe(4);
  }, 15_000);
});

describe('presence across nodes', () => {
  it('counts a user once across tabs and nodes; every node lists the same users', async () => {
    const [a, b, c] = await cluster(3);
    const tabs = [
      ws(a!.url, 'topics=room-1&user=ann'),
      ws(b!.url, 'topics=room-1&user=ann'),
      ws(b!.url, 'topics=room-1&user=ann'),
    ];
    const bob = sse(c!.url, 'topics=room-1&user=bob');
    await Promise.all(tabs.map((t) => t.opened));
    expect(await bob.status).toBe(200);
    for (const node of [a!, b!, c!]) {
      await expect
        .poll(() => node.hub.presence('room-1'), { timeout: 5000, interval: 50 })
        .toEqual({ users: ['ann', 'bob'], connections: 4 });
    }
  }, 15_000);

  it('publishes join and leave exactly once per user, whatever the tabs and nodes', async () => {
    const [a, b, c] = await cluster(3);
    const watcher = ws(c!.url, 'topics=room-2&user=watcher');
    await watcher.opened;
    await waitFor(() => watcher.presence().includes('join:watcher'), 'the watcher’s own join');
    const tabs = [
      ws(a!.url, 'topics=room-2&user=ann'),
      ws(b!.url, 'topics=room-2&user=ann'),
      ws(a!.url, 'topics=room-2&user=ann'),
    ];
    await Promise.all(tabs.map((t) => t.opened));
    await waitFor(() => watcher.presence().includes('join:ann'), 'ann’s join', 5000);
    for (const tab of tabs) tab.close();
    await waitFor(() => watcher.presence().includes('leave:ann'), 'ann’s leave', 5000);
    await sleep(500);
    expect(watcher.presence()).toEqual(['join:watcher', 'join:ann', 'leave:ann']);
    expect((await a!.hub.presence('room-2')).users).toEqual(['watcher']);
  }, 15_000);

  it('a node killed with SIGKILL drops out within the documented bound, its users leave once', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const [a, b] = await Promise.all([
      startNode(redis.url(), prefix, {
        clusterHeartbeatMs: HEARTBEAT_MS,
        presence: () => true,
        presenceGraceMs: 0,
      }),
      startNode(redis.url(), prefix, {
        clusterHeartbeatMs: HEARTBEAT_MS,
        presence: () => true,
        presenceGraceMs: 0,
      }),
    ]);
    nodes.push(a, b);
    const child = await startHubProcess(redis.url(), prefix, {
      fixture: 'cluster-node.ts',
      env: { TIDINGS_HEARTBEAT_MS: String(HEARTBEAT_MS) },
    });
    processes.push(child);
    const watchA = ws(a.url, 'topics=room-3&user=watcher-a');
    const watchB = ws(b.url, 'topics=room-3&user=watcher-b');
    const victim = ws(child.url, 'topics=room-3&user=victim');
    const shared = ws(child.url, 'topics=room-3&user=shared');
    const sharedElsewhere = ws(b.url, 'topics=room-3&user=shared');
    await Promise.all([watchA.opened, watchB.opened, victim.opened, shared.opened, sharedElsewhere.opened]);
    await waitFor(() => watchA.presence().includes('join:victim'), 'the victim’s join');
    const isChild = (n: NodeInfo) => n.id !== a.hub.nodeId && n.id !== b.hub.nodeId;
    const before = await a.hub.nodes();
    expect(before).toHaveLength(3);

    const killedAt = Date.now();
    await child.kill();
    // The child's last heartbeat, on Redis's clock: read once it is dead (or, should it already be
    // reaped, the one before the kill). It must not be reaped until 3 heartbeats after it.
    const lastSeenAt = ((await a.hub.nodes()).find(isChild) ?? before.find(isChild)!).seenAt;
    // Waits far past the bound, so that a slow reap fails on the assertion below, with its time.
    await waitFor(
      () => watchA.presence().includes('leave:victim'),
      'the victim’s leave after the kill',
      15_000,
    );
    const tookMs = Date.now() - killedAt;
    const redisNowMs = await redisTimeMs(redis.url());
    // Upper: within the documented 4 heartbeats of the kill, plus the stated scheduling margin.
    expect(tookMs, `leave ${tookMs} ms after the kill`).toBeLessThanOrEqual(
      REAP_BOUND_MS + SCHEDULING_MARGIN_MS,
    );
    // Lower: not dropped before it missed its beats. When the leave had arrived, Redis's clock had
    // passed the child's expiry (its last heartbeat + 3 heartbeats), so it was not reaped earlier.
    expect(redisNowMs - lastSeenAt, 'Redis time from its last heartbeat to the leave').toBeGreaterThanOrEqual(
      DEAD_AFTER_MS,
    );
    await sleep(4 * HEARTBEAT_MS);
    expect(watchA.presence().filter((p) => p === 'leave:victim')).toHaveLength(1);
    expect(watchB.presence().filter((p) => p === 'leave:victim')).toHaveLength(1);
    // A user still on a live node did not leave.
    expect(watchA.presence()).not.toContain('leave:shared');
    const present = await b.hub.presence('room-3');
    expect(present.users).toEqual(['shared', 'watcher-a', 'watcher-b']);
    expect((await b.hub.nodes()).map((n) => n.id).sort()).toEqual([a.hub.nodeId, b.hub.nodeId].sort());
  }, 30_000);
});

describe('operator commands across nodes', () => {
  it('disconnect issued on node A ends the user on nodes B and C, with the code the client reads', async () => {
    const ended: string[] = [];
    const [a, b, c] = await cluster(3, {
      onDisconnect: (connection, reason) =>
        ended.push(`${connection.transport}:${connection.principal.id} ${reason}`),
    });
    const onB = ws(b!.url, 'topics=x&user=ann');
    const onC = sse(c!.url, 'topics=x&user=ann');
    const bystander = ws(c!.url, 'topics=x&user=bob');
    await Promise.all([onB.opened, bystander.opened]);
    expect(await onC.status).toBe(200);
    await waitFor(() => c!.hub.stats().connections.sse === 1, 'the stream on C');
    const issued = Date.now();
    await a!.hub.disconnect({ userId: 'ann' });
    expect(await onB.closed).toEqual({ code: 1008, reason: 'kicked' });
    await onC.ended;
    expect(onC.events.at(-1)).toEqual({ event: 'close', data: '{"code":"kicked","retryMs":2000}' });
    // Within a bound: Redis pub/sub carries it at once; a busy machine gets 5 s.
    expect(Date.now() - issued).toBeLessThan(5000);
    await sleep(200);
    expect(bystander.messages.some((m) => m.type === 'error')).toBe(false);
    expect(c!.hub.stats().connections.ws).toBe(1);
    // The hooks on B and C saw each of ann's connections end once, kicked.
    expect(ended.sort()).toEqual(['sse:ann kicked', 'ws:ann kicked']);
  }, 15_000);

  it('revoke issued on A ends the user on B and refuses old tokens on every node, also after a restart', async () => {
    const [a, b] = await cluster(2);
    const iat = Math.floor(Date.now() / 1000);
    const onB = ws(b!.url, `topics=x&user=ann&iat=${iat}`);
    await onB.opened;
    const issued = Date.now();
    await a!.hub.revoke('ann', Date.now() + 60_000);
    expect(await onB.closed).toEqual({ code: 4401, reason: 'revoked' });
    // Within a bound, like disconnect: pub/sub carries it at once; a busy machine gets 5 s.
    expect(Date.now() - issued).toBeLessThan(5000);
    for (const node of [a!, b!]) {
      const refused = await fetch(`${node.url}/poll?topics=x&user=ann&iat=${iat}`);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('revoked');
      expect((await fetch(`${node.url}/poll?topics=x&user=ann&iat=${iat + 2}`)).status).toBe(200);
    }
    // A node that starts later (or restarts) reads the stored revocation.
    const prefix = prefixes.at(-1)!;
    const late = await startNode(redis.url(), prefix, { clusterHeartbeatMs: HEARTBEAT_MS });
    nodes.push(late);
    await expect
      .poll(async () => (await fetch(`${late.url}/poll?topics=x&user=ann&iat=${iat}`)).status, {
        timeout: 5000,
      })
      .toBe(401);
  }, 15_000);

  it('unsubscribe issued on A removes the topic from the user’s connections on B', async () => {
    const [a, b] = await cluster(2);
    const onB = ws(b!.url, 'topics=x,y&user=ann');
    await onB.opened;
    await a!.hub.unsubscribe({ userId: 'ann' }, 'x');
    await waitFor(() => onB.messages.some((m) => m.type === 'unsubscribed'), 'the unsubscribed notice');
    await a!.hub.publish('x', 'gone');
    await a!.hub.publish('y', 'kept');
    await waitFor(() => onB.messages.some((m) => m.type === 'event' && m.data === 'kept'), 'the event on y');
    expect(onB.messages.filter((m) => m.type === 'event').map((m) => m.data)).toEqual(['kept']);
  }, 15_000);
});
