// tidings as it was at another commit, for "what did this change cost": `serve(hub)` from a second
// checkout of the repository (its path in TIDINGS_REF, dependencies installed there), with the same
// options as tidings-node. Side by side with tidings-node in one run, the ratio between the two is
// the cost (or gain) of everything between the commits, e.g. new features left off.
import type { AddressInfo } from 'node:net';
import { TOPIC } from '../payload.ts';
import { runTargetServer } from './harness.ts';
import { benchHubOptions } from './tidings-options.ts';

const ref = process.env.TIDINGS_REF;
if (!ref) throw new Error('TIDINGS_REF must name a checkout of tidings with its dependencies installed');

await runTargetServer(async () => {
  const core = await import(`${ref}/packages/core/src/index.ts`);
  const node = await import(`${ref}/packages/node/src/index.ts`);
  // Only the options that commit knows: an older hub refuses an option added since (a TypeError).
  const known = Object.entries(benchHubOptions).filter(([key]) => key in core.HUB_DEFAULTS);
  const hub = core.createHub(Object.fromEntries(known));
  const served = await node.serve(hub, { port: 0, host: '127.0.0.1' });
  return {
    port: (served.server.address() as AddressInfo).port,
    broadcast(data) {
      hub.publish(TOPIC, data).catch((error: Error) => console.error(error));
    },
    connections: () => hub.stats().connections.total,
  };
});
