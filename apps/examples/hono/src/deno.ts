// Deno entry: `pnpm start:deno` (deno run --allow-net --allow-env --allow-read src/deno.ts).
import { createHub } from '@tidings/core';
import { tidings } from '@tidings/hono';
import { getConnInfo, serveStatic, upgradeWebSocket } from 'hono/deno';
import { buildApp, DEMO_SECRET, hubOptions, type Topics } from './app.ts';
import { localNotes } from './local-notes.ts';

const secret = Deno.env.get('TIDINGS_DEMO_SECRET') || DEMO_SECRET;
const hub = createHub<Topics>(hubOptions(secret));
const app = buildApp({
  secret,
  realtime: tidings(hub, { upgradeWebSocket, clientAddress: (c) => getConnInfo(c).remote.address }),
  notes: localNotes(hub),
  assets: serveStatic({ root: new URL('../public', import.meta.url).pathname }),
});
const server = Deno.serve(
  {
    port: Number(Deno.env.get('PORT') || 3000),
    hostname: Deno.env.get('HOST') || '127.0.0.1',
    onListen: ({ port }) => console.log(`tidings Hono example on Deno: http://localhost:${port}`),
  },
  app.fetch,
);

async function stop(): Promise<void> {
  await hub.close();
  await server.shutdown();
  Deno.exit(0);
}
Deno.addSignalListener('SIGTERM', () => void stop());
Deno.addSignalListener('SIGINT', () => void stop());
