import { listen } from './listen.ts';

// DEMO ONLY: a fixed, public secret so `pnpm start` works with no setup. Anyone who reads this file
// can sign tokens for it; set TIDINGS_DEMO_SECRET (32+ bytes) for anything but a local try-out.
const DEFAULT_DEMO_SECRET = 'tidings-demo-secret-not-for-production-use';

const secret = process.env.TIDINGS_DEMO_SECRET || DEFAULT_DEMO_SECRET;
const port = Number(process.env.PORT || 3000);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be a port number, got ${process.env.PORT}`);
  process.exit(1);
}
if (secret === DEFAULT_DEMO_SECRET) console.warn('Using the built-in demo secret; set TIDINGS_DEMO_SECRET.');

const running = await listen({ secret, port, host: process.env.HOST || undefined });
console.log(`Koa example on ${running.url} (tidings under ${running.realtime.path})`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void running.close().then(() => process.exit(0));
  });
}
