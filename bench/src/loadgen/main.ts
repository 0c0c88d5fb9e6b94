// The load generator: a process of its own (pinned to its own core by the runner), driven over
// stdin/stdout. `connect` opens the clients, `start`/`end` bracket the measured window.
import { reply, serveRpc } from '../rpc.ts';
import { connectAll, type OpenClient } from './connect-all.ts';
import { openEngineIoClient } from './engine-io-clients.ts';
import type { LoadJob } from './job.ts';
import { openPollClient } from './poll-clients.ts';
import { openSseClient } from './sse-clients.ts';
import { Tracker } from './tracker.ts';
import { openWsClient } from './ws-clients.ts';

const MAX_LIFETIME_MS = 10 * 60_000;

let tracker: Tracker | undefined;
let clients: OpenClient[] = [];

function closeAll(): void {
  tracker?.stop();
  for (const client of clients) client.close();
  tracker = undefined;
  clients = [];
}

async function connect(job: LoadJob) {
  if (tracker) throw new Error('already connected');
  const t = new Tracker(job.clients);
  tracker = t;
  const open = (index: number): Promise<OpenClient> => {
    switch (job.kind) {
      case 'ws':
      case 'sio-ws':
        return openWsClient(job, t, index);
      case 'sse':
        return openSseClient(job, t, index);
      case 'long-poll':
      case 'poll':
        return openPollClient(job, t, index);
      case 'eio-poll':
      case 'sio-poll':
        return openEngineIoClient(job, t, index);
    }
  };
  const result = await connectAll(job.clients, job.connectConcurrency, job.connectTimeoutMs, open, (m, i) => {
    t.error(m);
    // A client that never connected must not hold the fan-out's credit back.
    t.lastSeq[i] = Number.POSITIVE_INFINITY;
  });
  clients = result.clients;
  if (job.credit) await t.startCredit(job.host, job.credit.port, job.credit.intervalMs);
  return { ...result.report, errors: t.errors };
}

serveRpc(
  (request) => {
    switch (request.op) {
      case 'connect':
        return connect(request.job as LoadJob);
      case 'start':
        tracker?.startWindow();
        return { ok: true };
      case 'end':
        if (!tracker) throw new Error('not connected');
        return tracker.endWindow();
      case 'reset':
        // Ready for the next job in the same process (the smoke profile reuses load generators).
        closeAll();
        return { ok: true };
      default:
        throw new Error(`unknown op ${request.op}`);
    }
  },
  closeAll,
  MAX_LIFETIME_MS,
);
reply({ id: 0, result: { ready: true, pid: process.pid } });
