import { randomUUID } from 'node:crypto';
import { type Client, createClient, type TransportName } from '@tidings/client';
import { createRecorder, type Recorder } from '@tidings/testing/recorder';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from '../src/cluster.ts';

// Short heartbeats, so the test is quick: a client calls its server dead after 2 × heartbeat +
// min(heartbeat, 2 s) of silence (docs/client.md), here 3 s; a long poll after its wait plus
// connectTimeoutMs, here 2 + 2 s.
const HEARTBEAT_MS = 1000;
const LONG_POLL_MS = 2000;
const CONNECT_TIMEOUT_MS = 2000;
const DEAD_MS = 2 * HEARTBEAT_MS + Math.min(HEARTBEAT_MS, 2000);
// Detection, then a reconnect through the balancer (its probe has dropped the frozen node by then)
// and the replay: generous, the busy CI machine included. The clients stalled 30 s.
const SLACK_MS = 6000;
const BOUND_MS: Record<TransportName, number> = {
  ws: DEAD_MS + SLACK_MS,
  sse: DEAD_MS + SLACK_MS,
  'long-poll': LONG_POLL_MS + CONNECT_TIMEOUT_MS + SLACK_MS,
  poll: 0,
};

let cluster: Cluster | undefined;
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  // A node left frozen would never see its SIGTERM.
  for (const node of cluster?.nodes ?? []) {
    try {
      process.kill(node.pid, 'SIGCONT');
    } catch {
      // Gone already.
    }
  }
  await cluster?.stop();
  cluster = undefined;
});

/** A client of one transport through the balancer, with where it was served last and what it got. */
interface Watched {
  transport: TransportName;
  client: Client;
  recorder: Recorder;
  /** The node that served its latest connection or answer: `node-1`, `node-2`. */
  node(): string | undefined;
}

function watch(url: string, transport: TransportName, prefixes: Map<string, string>): Watched {
  let node: string | undefined;
  // SSE and long polls: the node names itself in `x-served-by`. WebSockets: the welcome's id
  // starts with a prefix of the process that accepted it.
  class Watching extends WebSocket {
    constructor(target: string | URL) {
      super(target);
      this.addEventListener('message', (e) => {
        const message = JSON.parse(String(e.data));
        if (message.type === 'welcome') node = prefixes.get(String(message.connectionId).split('.')[0]!);
      });
    }
  }
  const client = createClient({
    url: `${url}/realtime`,
    topics: ['chat'],
    transports: [transport],
    sharedConnection: false,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    longPollTimeoutMs: LONG_POLL_MS,
    WebSocket: Watching,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      node = response.headers.get('x-served-by') ?? node;
      return response;
    },
  });
  clients.push(client);
  const recorder = createRecorder();
  recorder.attach(client);
  return { transport, client, recorder, node: () => node };
}

async function publish(nodeUrl: string, text: string): Promise<string> {
  const response = await fetch(`${nodeUrl}/realtime/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic: 'chat', data: { from: 'test', text } }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

/** The id prefix of the process behind `nodeUrl`, read from a WebSocket welcome. */
async function prefixOf(nodeUrl: string): Promise<string> {
  const ws = new WebSocket(`${nodeUrl.replace('http', 'ws')}/realtime/ws?topics=chat`);
  const welcome = await new Promise<{ connectionId: string }>((resolve, reject) => {
    ws.onmessage = (m) => resolve(JSON.parse(String(m.data)));
    ws.onerror = () => reject(new Error('no welcome'));
  });
  ws.close();
  return welcome.connectionId.split('.')[0]!;
}

describe('a frozen node (SIGSTOP)', () => {
  it('its WebSocket, SSE and long-poll clients move to the other node within the dead-peer bound, losing nothing', async () => {
    cluster = await startCluster({
      redisUrl: process.env.REDIS_URL,
      nodePorts: [0, 0],
      balancerPort: 0,
      prefix: `example-multi-node-test:${randomUUID()}:`,
      hubOptions: { heartbeatMs: HEARTBEAT_MS, sseHeartbeatMs: HEARTBEAT_MS, tickMs: 250 },
    });
    const [one, two] = cluster.nodes;
    const prefixes = new Map([
      [await prefixOf(one!.url), 'node-1'],
      [await prefixOf(two!.url), 'node-2'],
    ]);

    // Clients of each transport until each has one on the node about to freeze (round robin: a few).
    const watched: Watched[] = [];
    for (const transport of ['ws', 'sse', 'long-poll'] as const) {
      for (
        let i = 0;
        i < 8 && !watched.some((w) => w.transport === transport && w.node() === 'node-1');
        i++
      ) {
        const w = watch(cluster.url, transport, prefixes);
        watched.push(w);
        await w.client.ready();
        // A long poll's first answer comes at once; its held poll is the second request.
        if (transport === 'long-poll') await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(
        watched.some((w) => w.transport === transport && w.node() === 'node-1'),
        transport,
      ).toBe(true);
    }
    const ids = [await publish(two!.url, 'before')];
    for (const w of watched) await w.recorder.waitFor(1, { timeoutMs: 10_000 });
    const onFrozen = watched.filter((w) => w.node() === 'node-1');

    process.kill(one!.pid, 'SIGSTOP');
    const frozenAt = performance.now();
    const firstAfter = await publish(two!.url, 'while node-1 is frozen');
    ids.push(firstAfter);
    const arrivedMs = new Map<Watched, number>();
    for (const w of watched) {
      void w.recorder
        .waitFor((r) => r.ids.includes(firstAfter), { timeoutMs: 25_000 })
        .then(() => arrivedMs.set(w, performance.now() - frozenAt));
    }
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      ids.push(await publish(two!.url, `frozen ${i}`));
    }
    for (const w of watched) {
      await w.recorder.waitFor((r) => r.ids.includes(ids.at(-1)!), { timeoutMs: 25_000 });
    }
    // Everyone has everything while node-1 is still stopped: they moved, they did not wait for it.
    expect(watched.every((w) => arrivedMs.has(w))).toBe(true);
    const report = onFrozen.map((w) => `${w.transport} ${Math.round(arrivedMs.get(w)!)} ms`);
    console.log(`moved off the frozen node: ${report.join(', ')} (dead-peer bound ${DEAD_MS} ms)`);
    for (const w of onFrozen) {
      expect(arrivedMs.get(w)!, w.transport).toBeLessThan(BOUND_MS[w.transport]);
      expect(w.node(), w.transport).toBe('node-2');
    }
    for (const w of watched) w.recorder.assertComplete(ids, { allowResets: false });
    process.kill(one!.pid, 'SIGCONT');
  }, 60_000);
});
