import { listen } from './listen.ts';

// A public demo value so `pnpm start` works with no setup. Anyone can read it here, so anyone
// could mint tokens for a server that uses it: set TIDINGS_DEMO_SECRET (32+ bytes) for anything else.
const DEMO_SECRET = 'tidings-demo-secret-not-for-production-use';

const secret = process.env.TIDINGS_DEMO_SECRET || DEMO_SECRET;
const port = Number(process.env.PORT || 3000);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be a port number, got ${process.env.PORT}`);
  process.exit(1);
}

const running = await listen({
  secret,
  port,
  host: process.env.HOST || '127.0.0.1',
  accessLog: (line) => process.stdout.write(line),
});
const shown = running.url.replace('://127.0.0.1:', '://localhost:');
console.log(`tidings example: ${shown} (realtime routes under ${shown}/realtime)`);
if (secret === DEMO_SECRET)
  console.log('using the built-in demo secret; set TIDINGS_DEMO_SECRET to your own');

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: draining connections`);
  await running.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
