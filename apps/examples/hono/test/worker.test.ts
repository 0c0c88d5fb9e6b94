import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';

const dir = mkdtempSync(join(tmpdir(), 'example-hono-worker-'));
let mf: Miniflare;
let origin: string;

beforeAll(async () => {
  // What wrangler does before `dev` and `deploy`: one ESM bundle, `cloudflare:*` left to the runtime.
  await build({
    entryPoints: [fileURLToPath(new URL('../src/worker.ts', import.meta.url))],
    outfile: join(dir, 'worker.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['source', 'workerd', 'worker', 'browser'],
    external: ['cloudflare:*'],
    logLevel: 'error',
  });
  // The settings of wrangler.toml, loopback only.
  mf = new Miniflare({
    modules: true,
    scriptPath: join(dir, 'worker.js'),
    modulesRoot: dir,
    compatibilityDate: '2026-07-01',
    compatibilityFlags: ['enable_request_signal'],
    cf: false,
    host: '127.0.0.1',
    port: 0,
    durableObjects: { TIDINGS: 'NotesHub' },
    bindings: { TIDINGS_DEMO_SECRET: 'a-test-secret-of-at-least-32-bytes!!' },
  });
  origin = (await mf.ready).origin;
}, 30_000);

afterAll(async () => {
  await mf?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

it('publishes a note from one request to a WebSocket and a long poll held by others, through the Durable Object', async () => {
  const { token } = (await (await fetch(`${origin}/api/token`)).json()) as { token: string };
  const socket = new WebSocket(`${origin.replace('http', 'ws')}/realtime/ws?topics=notes`);
  const messages: { type: string; [key: string]: unknown }[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  // No token in the URL: the socket's first message carries it.
  socket.send(JSON.stringify({ type: 'auth', token }));
  await expect.poll(() => messages.map((m) => m.type)).toEqual(['welcome']);
  const longPoll = fetch(
    `${origin}/realtime/long-poll?topics=notes&timeout=5&cursor=${messages[0]!.cursor}`,
    {
      headers: { authorization: `Bearer ${token}` },
    },
  );

  const res = await fetch(`${origin}/api/notes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'from the edge' }),
  });
  expect(res.status).toBe(201);
  const { note, eventId } = (await res.json()) as { note: { text: string }; eventId: string };
  expect(note.text).toBe('from the edge');
  const expected = { id: eventId, topic: 'notes', event: 'created', data: note };
  await expect
    .poll(() => messages.filter((m) => m.type === 'event'))
    .toEqual([{ type: 'event', ...expected }]);
  expect(await (await longPoll).json()).toEqual({ events: [expected], cursor: eventId });
  // The notes come with the Durable Object hub's head, a cursor to subscribe from.
  expect((await (await fetch(`${origin}/api/notes`)).json()) as unknown).toEqual({
    notes: [note],
    cursor: eventId,
  });
  socket.terminate();
}, 15_000);

it('mints a connect ticket through the Durable Object: it opens one poll, once', async () => {
  const { token } = (await (await fetch(`${origin}/api/token`)).json()) as { token: string };
  const answer = await fetch(`${origin}/api/realtime-ticket`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(answer.status).toBe(200);
  const { ticket } = (await answer.json()) as { ticket: string };
  const url = `${origin}/realtime/poll?topics=notes&ticket=${encodeURIComponent(ticket)}`;
  expect((await fetch(url)).status).toBe(200);
  expect((await fetch(url)).status).toBe(401);
  expect((await fetch(`${origin}/api/realtime-ticket`)).status).toBe(401);
}, 15_000);
