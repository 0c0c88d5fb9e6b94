import { randomUUID } from 'node:crypto';
import { get } from 'node:http';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from '../src/cluster.ts';

const PREFIX = `example-multi-node-test:${randomUUID()}:`;
let cluster: Cluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
  // On a shared Redis (CI's REDIS_URL), leave nothing behind.
  if (process.env.REDIS_URL) {
    const admin = createClient({ url: process.env.REDIS_URL });
    await admin.connect();
    await admin.del([`${PREFIX}meta`, `${PREFIX}log`]);
    admin.destroy();
  }
});

/** A GET on a fresh TCP connection, so the balancer picks a node for it. */
function getFresh(url: string): Promise<{ servedBy: string; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ servedBy: String(res.headers['x-served-by']), body }));
    }).on('error', reject);
  });
}

/** Reads an SSE stream until `text` appears (bounded by `timeoutMs`). */
async function sseUntil(url: string, text: string, timeoutMs = 8000): Promise<string> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const response = await fetch(url, { signal: abort.signal });
  const decoder = new TextDecoder();
  let seen = '';
  try {
    for await (const chunk of response.body!) {
      seen += decoder.decode(chunk as Uint8Array, { stream: true });
      if (seen.includes(text)) return seen;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return seen;
}

describe('example-multi-node', () => {
  it('runs two hub processes that share one stream behind a round-robin balancer', async () => {
    cluster = await startCluster({
      redisUrl: process.env.REDIS_URL,
      nodePorts: [0, 0],
      balancerPort: 0,
      prefix: PREFIX,
    });
    const [one, two] = cluster.nodes;
    expect(one!.pid).not.toBe(two!.pid);

    const pages = [await getFresh(`${cluster.url}/`), await getFresh(`${cluster.url}/`)];
    expect(pages.map((p) => p.servedBy).sort()).toEqual(['node-1', 'node-2']);
    expect(pages[0]!.body).toContain(`<b>${pages[0]!.servedBy}</b>`);

    const start = (await (await fetch(`${one!.url}/realtime/poll?topics=chat`)).json()) as { cursor: string };
    // From a cursor, so the stream misses nothing however late it subscribes.
    const stream = sseUntil(
      `${one!.url}/realtime/sse?topics=chat&cursor=${start.cursor}`,
      '"hello from node 2"',
    );
    const published = await fetch(`${two!.url}/realtime/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'chat', data: { from: 'test', text: 'hello from node 2' } }),
    });
    expect(published.status).toBe(202);
    const { id } = (await published.json()) as { id: string };
    expect(await stream).toContain(`id: ${id}\n`);

    // No sticky sessions: a cursor from one node resumes on the other, through the balancer too.
    for (const base of [one!.url, two!.url, cluster.url]) {
      const resumed = await fetch(`${base}/realtime/poll?topics=chat&cursor=${start.cursor}`);
      expect(((await resumed.json()) as { events: { id: string }[] }).events.map((e) => e.id)).toEqual([id]);
    }

    const pids = cluster.nodes.map((n) => n.pid);
    await cluster.stop();
    cluster = undefined;
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 30_000);
});
