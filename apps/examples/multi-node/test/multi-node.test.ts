import { randomUUID } from 'node:crypto';
import { get } from 'node:http';
import pg from 'pg';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from '../src/cluster.ts';

const PREFIX = `example-multi-node-test:${randomUUID()}:`;
let cluster: Cluster | undefined;
let database: string | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
  // On a shared Redis (CI's REDIS_URL), leave nothing behind.
  if (process.env.REDIS_URL) {
    const admin = createClient({ url: process.env.REDIS_URL });
    await admin.connect();
    const keys: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `${PREFIX}*` })) keys.push(...batch);
    if (keys.length > 0) await admin.del(keys);
    admin.destroy();
  }
  // On a shared PostgreSQL (CI's PG_URL), the test had a database of its own.
  if (database) await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  database = undefined;
});

async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: process.env.PG_URL });
  await admin.connect();
  await admin.query(text);
  await admin.end();
}

/** CI's PostgreSQL with a fresh database, or none (the cluster then starts its own server). */
async function freshDatabase(): Promise<string | undefined> {
  if (!process.env.PG_URL) return undefined;
  database = `example_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await adminQuery(`CREATE DATABASE ${database}`);
  const url = new URL(process.env.PG_URL);
  url.pathname = `/${database}`;
  return url.href;
}

async function postNote(
  base: string,
  text: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}/api/notes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

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
    // WebSockets too, at the documented path, resuming on the other node from the same cursor.
    const ws = new WebSocket(
      `${two!.url.replace('http', 'ws')}/realtime/ws?topics=chat&cursor=${start.cursor}`,
    );
    const event = await new Promise<{ type: string; id?: string }>((resolve, reject) => {
      ws.onmessage = (m) => {
        const message = JSON.parse(String(m.data));
        if (message.type === 'event') resolve(message);
      };
      ws.onerror = () => reject(new Error('the WebSocket failed'));
    });
    ws.close();
    expect(event.id).toBe(id);

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

  it('on PostgreSQL (start:postgres): a note and its event in one transaction, on every node', async () => {
    cluster = await startCluster({
      broker: 'postgres',
      databaseUrl: await freshDatabase(),
      nodePorts: [0, 0],
      balancerPort: 0,
    });
    const [one, two] = cluster.nodes;
    const start = (await (await fetch(`${one!.url}/realtime/poll?topics=notes`)).json()) as {
      cursor: string;
    };
    const stream = sseUntil(`${one!.url}/realtime/sse?topics=notes&cursor=${start.cursor}`, '"second note"');
    const first = await postNote(two!.url, 'first note');
    expect(first.status).toBe(201);
    // The database refuses an empty note: the transaction rolls back, and its event with it.
    const refused = await postNote(two!.url, '');
    expect(refused.status).toBe(400);
    const second = await postNote(one!.url, 'second note');
    expect(second.status).toBe(201);
    const seen = await stream;
    expect(seen).toContain(`id: ${first.body.eventId}\n`);
    expect(seen).toContain(`id: ${second.body.eventId}\n`);
    expect(seen.match(/^event: created$/gm)).toHaveLength(2);
    const listed = (await (await fetch(`${cluster.url}/api/notes`)).json()) as {
      notes: { text: string }[];
      cursor: string;
    };
    expect(listed.notes.map((n) => n.text)).toEqual(['first note', 'second note']);
    // With the list comes a cursor of the same log to subscribe from (a node's head may lag the
    // log by a moment, so a subscriber from it may get an event the list already holds, never less).
    expect(listed.cursor).toMatch(/^[0-9a-z]+-\d+$/);
    expect(listed.cursor.split('-')[0]).toBe(String(second.body.eventId).split('-')[0]);
    // Resume on the other node, and through the balancer: the same two events, nothing of the refused note.
    for (const base of [two!.url, cluster.url]) {
      const resumed = await fetch(`${base}/realtime/poll?topics=notes&cursor=${start.cursor}`);
      const { events } = (await resumed.json()) as { events: { id: string; data: { text: string } }[] };
      expect(events.map((e) => [e.id, e.data.text])).toEqual([
        [first.body.eventId, 'first note'],
        [second.body.eventId, 'second note'],
      ]);
    }
  }, 40_000);
});
