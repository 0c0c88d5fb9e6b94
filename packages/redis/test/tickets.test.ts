import { createHub, type Hub, signJwt } from '@tidings/core';
import { type Served, serve } from '@tidings/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBroker, type RedisBroker } from '../src/index.ts';
import { deleteKeys, uniquePrefix, useSharedRedis } from './helpers/shared-redis.ts';
import { sleep } from './helpers/wait-for.ts';

// Connect tickets across nodes: two hubs, each with its own Redis connections (as two processes
// would have), sharing one prefix and one ticket secret. A ticket is minted on one and must open a
// connection on either, exactly once in all.
const redis = useSharedRedis();
const prefix = uniquePrefix();
const SECRET = 'tidings-redis-ticket-test-secret-0123456789';
const nodes: { hub: Hub; broker: RedisBroker; served: Served }[] = [];
const closers: (() => void)[] = [];

async function startNode(secret = SECRET) {
  const broker = await createRedisBroker({ url: redis.url(), prefix });
  const hub = createHub({ jwt: { secret }, broker, authorize: (_p, topic) => topic !== 'secret' });
  const served = await serve(hub, { port: 0 });
  const node = { hub, broker, served };
  nodes.push(node);
  return node;
}

beforeAll(async () => {
  await startNode();
  await startNode();
}, 20_000);

afterAll(async () => {
  for (const close of closers) close();
  for (const { served, broker } of nodes) {
    await served.close();
    await broker.close();
  }
  await deleteKeys(redis.url(), [prefix]);
});

const [a, b] = [() => nodes[0]!, () => nodes[1]!];
const ann = { id: 'ann', claims: { role: 'reader' } };

async function pollStatus(url: string, ticket: string, topics = 'news'): Promise<number> {
  const response = await fetch(`${url}/poll?topics=${topics}&ticket=${encodeURIComponent(ticket)}`);
  await response.body?.cancel();
  return response.status;
}

/** Opens a WebSocket with the ticket; resolves to `welcome` or the refusal's HTTP status. */
function wsWith(url: string, ticket: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(
      `${url.replace(/^http/, 'ws')}/ws?topics=news&ticket=${encodeURIComponent(ticket)}`,
    );
    closers.push(() => socket.close());
    socket.addEventListener('message', (event) => {
      if (JSON.parse(String(event.data)).type === 'welcome') resolve('welcome');
    });
    // Node's WebSocket reports a refused upgrade as an error without the status.
    socket.addEventListener('error', () => resolve('refused'));
  });
}

describe('connect tickets on two nodes sharing Redis', () => {
  it('a ticket minted on node A opens node B once; replayed on A or B it is 401', async () => {
    const ticket = await a().hub.issueTicket(ann);
    expect(await pollStatus(b().served.url, ticket)).toBe(200);
    expect(await pollStatus(a().served.url, ticket)).toBe(401);
    expect(await pollStatus(b().served.url, ticket)).toBe(401);
  });

  it('a WebSocket opened with a ticket on A; the same URL on B is refused', async () => {
    const ticket = await a().hub.issueTicket(ann);
    expect(await wsWith(a().served.url, ticket)).toBe('welcome');
    expect(await wsWith(b().served.url, ticket)).toBe('refused');
  });

  it('presented to both nodes at once, exactly one redemption wins', async () => {
    for (let round = 0; round < 5; round++) {
      const ticket = await b().hub.issueTicket(ann);
      const statuses = await Promise.all([
        pollStatus(a().served.url, ticket),
        pollStatus(b().served.url, ticket),
        pollStatus(a().served.url, ticket),
      ]);
      expect(statuses.sort()).toEqual([200, 401, 401]);
    }
  });

  it('a ticket bound to [news] does not open secret topics on the other node', async () => {
    const ticket = await a().hub.issueTicket(ann, { topics: ['news'] });
    expect(await pollStatus(b().served.url, ticket, 'other')).toBe(403);
  });

  it('a node with another secret refuses the ticket, and a JWT is no ticket', async () => {
    const stranger = await startNode('another-secret-for-a-stranger-node-0123456');
    expect(await pollStatus(stranger.served.url, await a().hub.issueTicket(ann))).toBe(401);
    const jwt = await signJwt({ sub: 'ann' }, SECRET);
    expect(await pollStatus(a().served.url, jwt)).toBe(401);
  });
});

describe('RedisBroker.claimOnce', () => {
  it('SET NX PX: true once across brokers until the ttl passes', async () => {
    const key = `k-${Math.random()}`;
    expect(await a().broker.claimOnce(key, 300)).toBe(true);
    expect(await b().broker.claimOnce(key, 300)).toBe(false);
    expect(await a().broker.claimOnce(`${key}-other`, 300)).toBe(true);
    // Redis expires the claim by itself; a bounded wait, no timing asserted.
    let again = false;
    for (let i = 0; i < 100 && !again; i++) {
      await sleep(50);
      again = await b().broker.claimOnce(key, 300);
    }
    expect(again).toBe(true);
  });

  it('a closed broker refuses to claim with unavailable, so the hub answers 503', async () => {
    const broker = await createRedisBroker({ url: redis.url(), prefix: uniquePrefix() });
    await broker.close();
    await expect(broker.claimOnce('x', 1000)).rejects.toMatchObject({ code: 'unavailable' });
  });
});
