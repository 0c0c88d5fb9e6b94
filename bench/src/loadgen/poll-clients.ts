import { Agent, type ClientRequest, type IncomingMessage, request } from 'node:http';
import { nowUs } from '../payload.ts';
import type { OpenClient } from './connect-all.ts';
import type { LoadJob } from './job.ts';
import type { Tracker } from './tracker.ts';

/** Consecutive failed requests after which a polling client gives up (keeps every loop bounded). */
const MAX_FAILURES = 20;
const RETRY_MS = 50;

/** One keep-alive agent for all polling clients of a load generator: a socket per client, reused. */
export function createPollAgent(clients: number): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: Number.POSITIVE_INFINITY,
    maxFreeSockets: clients * 2 + 16,
  });
}

interface PollBody {
  events: { data?: { s?: unknown; t?: unknown } }[];
  cursor?: string;
}

/** Sends one request and resolves with its status and body text. */
function fetchText(
  job: LoadJob,
  agent: Agent,
  path: string,
  onRequest: (req: ClientRequest) => void,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (body !== undefined) {
      headers['content-type'] = 'text/plain;charset=UTF-8';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const req = request(
      { host: job.host, port: job.port, path, agent, method: body === undefined ? 'GET' : 'POST', headers },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    onRequest(req);
    req.end(body);
  });
}

/**
 * A polling client of the tidings protocol shape (`{events:[{data}], cursor}`), which the raw
 * node:http target speaks too. Long poll (`kind: 'long-poll'`): ready once its first request is on
 * the wire, then each answer is followed at once by the next request with the new cursor. Short poll
 * (`kind: 'poll'`): the same loop, ready at its first answer; every answer counts as a response.
 */
export function openPollClient(
  job: LoadJob,
  tracker: Tracker,
  index: number,
  agent: Agent,
): Promise<OpenClient> {
  const longPoll = job.kind === 'long-poll';
  let cursor: string | undefined;
  let stopped = false;
  let failures = 0;
  let current: ClientRequest | undefined;
  return new Promise((resolve, reject) => {
    let ready = false;
    const client: OpenClient = {
      close() {
        stopped = true;
        current?.destroy();
      },
    };
    const becomeReady = () => {
      if (ready) return;
      ready = true;
      tracker.open++;
      resolve(client);
    };
    const fail = (message: string) => {
      tracker.error(message);
      if (++failures >= MAX_FAILURES || stopped) {
        stopped = true;
        tracker.lastSeq[index] = Number.POSITIVE_INFINITY;
        if (ready) tracker.open--;
        else reject(new Error(message));
        return;
      }
      setTimeout(next, RETRY_MS);
    };
    function next(): void {
      if (stopped) return;
      const path = cursor === undefined ? job.path : `${job.path}&cursor=${encodeURIComponent(cursor)}`;
      fetchText(job, agent, path, (req) => {
        current = req;
        if (longPoll && !ready) req.once('finish', becomeReady);
      }).then(
        ({ status, text }) => {
          const receivedUs = nowUs();
          if (stopped) return;
          if (status !== 200) return fail(`${job.kind} answered ${status}: ${text.slice(0, 80)}`);
          failures = 0;
          tracker.responded();
          const body = JSON.parse(text) as PollBody;
          for (const event of body.events) {
            const data = event.data;
            if (data && typeof data.s === 'number' && typeof data.t === 'number')
              tracker.delivered(index, data.s, data.t, receivedUs);
          }
          if (body.cursor !== undefined) cursor = body.cursor;
          becomeReady();
          next();
        },
        (error: Error) => fail(`${job.kind}: ${error.message}`),
      );
    }
    next();
  });
}
