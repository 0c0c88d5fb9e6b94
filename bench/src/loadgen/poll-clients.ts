import { nowUs } from '../payload.ts';
import type { OpenClient } from './connect-all.ts';
import { HttpConnection } from './http-connection.ts';
import type { LoadJob } from './job.ts';
import type { Tracker } from './tracker.ts';

/** Consecutive failed requests after which a polling client gives up (keeps every loop bounded). */
export const MAX_FAILURES = 20;
/** Pause before retrying a failed request, ms. */
export const RETRY_MS = 50;

interface PollBody {
  events: { data?: { s?: unknown; t?: unknown } }[];
  cursor?: string;
}

/**
 * A polling client of the tidings protocol shape (`{events:[{data}], cursor}`), which the raw
 * node:http target speaks too, on its own keep-alive connection. Long poll (`kind: 'long-poll'`):
 * ready once its first request is on the wire, then each answer is followed at once by the next
 * request with the new cursor. Short poll (`kind: 'poll'`): the same loop, ready at its first answer.
 */
export function openPollClient(job: LoadJob, tracker: Tracker, index: number): Promise<OpenClient> {
  const longPoll = job.kind === 'long-poll';
  const connection = new HttpConnection(job.host, job.port);
  let cursor: string | undefined;
  let stopped = false;
  let failures = 0;
  return new Promise((resolve, reject) => {
    let ready = false;
    const client: OpenClient = {
      close() {
        stopped = true;
        connection.close();
      },
    };
    const becomeReady = () => {
      if (ready) return;
      ready = true;
      tracker.open++;
      resolve(client);
    };
    const fail = (message: string) => {
      if (stopped) return;
      tracker.error(message);
      if (++failures < MAX_FAILURES) {
        setTimeout(next, RETRY_MS);
        return;
      }
      stopped = true;
      tracker.lastSeq[index] = Number.POSITIVE_INFINITY;
      if (ready) tracker.open--;
      else reject(new Error(message));
    };
    function next(): void {
      if (stopped) return;
      const path = cursor === undefined ? job.path : `${job.path}&cursor=${encodeURIComponent(cursor)}`;
      const onSent = longPoll && !ready ? becomeReady : undefined;
      connection.request(path, undefined, onSent).then(
        ({ status, body }) => {
          const receivedUs = nowUs();
          if (stopped) return;
          if (status !== 200) return fail(`${job.kind} answered ${status}: ${body.toString().slice(0, 80)}`);
          failures = 0;
          tracker.responded();
          const answer = JSON.parse(body.toString('utf8')) as PollBody;
          for (const event of answer.events) {
            const data = event.data;
            if (data && typeof data.s === 'number' && typeof data.t === 'number')
              tracker.delivered(index, data.s, data.t, receivedUs);
          }
          if (answer.cursor !== undefined) cursor = answer.cursor;
          becomeReady();
          next();
        },
        (error: Error) => fail(`${job.kind}: ${error.message}`),
      );
    }
    next();
  });
}
