// Bun entry: `pnpm start:bun` (runs this file with Bun, which reads TypeScript itself).
import { createHub } from '@tidings/core';
import { tidings } from '@tidings/hono';
import { getConnInfo, serveStatic, upgradeWebSocket, websocket } from 'hono/bun';
import { buildApp, DEMO_SECRET, hubOptions, type Topics } from './app.ts';
import { localNotes } from './local-notes.ts';

const secret = Bun.env.TIDINGS_DEMO_SECRET || DEMO_SECRET;
const hub = createHub<Topics>(hubOptions(secret));
const app = buildApp({
  secret,
  realtime: tidings(hub, { upgradeWebSocket, clientAddress: (c) => getConnInfo(c).remote.address }),
  notes: localNotes(hub),
  assets: serveStatic({ root: new URL('../public', import.meta.url).pathname }),
});
const server = Bun.serve({
  fetch: app.fetch,
  websocket,
  port: Number(Bun.env.PORT || 3000),
  hostname: Bun.env.HOST || '127.0.0.1',
});
console.log(`tidings Hono example on Bun: http://localhost:${server.port}`);

async function stop(): Promise<void> {
  await hub.close();
  server.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
