// `pnpm --filter example-multi-node deploy-sim`: a rolling deploy between two nodes on one Redis,
// measured at the new node, printed as a histogram (docs/deploying.md shows one run). Flags:
// --clients N (of each kind), --spread MS (drainSpreadMs), --cap N (maxConnectionsPerSecond).
import { registerHooks } from 'node:module';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';

// `--conditions=source` points the workspace's packages at their TypeScript. `eventsource` (and its
// parser) export TypeScript under that condition too, which Node does not run from node_modules:
// other packages resolve without it.
registerHooks({
  resolve(specifier, context, nextResolve) {
    const bare =
      /^[a-z@]/.test(specifier) && !specifier.startsWith('@tidings/') && !specifier.startsWith('node:');
    if (!bare && !context.parentURL?.includes('/node_modules/')) return nextResolve(specifier, context);
    return nextResolve(specifier, {
      ...context,
      conditions: context.conditions.filter((c) => c !== 'source'),
    });
  },
});
const { formatReport, simulateDeploy } = await import('./deploy-simulation.ts');

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '150' },
    spread: { type: 'string', default: '5000' },
    cap: { type: 'string', default: '100' },
  },
});
const each = Number(values.clients);
const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as { port: number };
    probe.close(() => resolve(port));
  });
});
const report = await simulateDeploy({
  clients: { 'tidings-ws': each, 'tidings-sse': each, eventsource: each, websocket: each },
  drainSpreadMs: Number(values.spread),
  maxConnectionsPerSecond: Number(values.cap),
  redisUrl: process.env.REDIS_URL || undefined,
  redisPort: port,
});
console.log(formatReport(report));
process.exit(report.incomplete === 0 ? 0 : 1);
