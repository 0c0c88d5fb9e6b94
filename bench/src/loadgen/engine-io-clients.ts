import { nowUs } from '../payload.ts';
import type { OpenClient } from './connect-all.ts';
import { HttpConnection } from './http-connection.ts';
import type { LoadJob } from './job.ts';
import { MAX_FAILURES, RETRY_MS } from './poll-clients.ts';
import { readStampText, type Stamp } from './read-stamp.ts';
import type { Tracker } from './tracker.ts';

// engine.io v4 joins the packets of one polling answer with the record separator.
const SEPARATOR = '\x1e';

/**
 * An engine.io v4 HTTP long-polling client written from the protocol (handshake `0{sid…}`, then one
 * GET pending at a time, packets split on U+001E, `2` ping answered by a POSTed `3`), on keep-alive
 * connections like the other polling clients (a second one for POSTs, as a browser would), so
 * every long-poll target costs the load generator the same. Kind `sio-poll` adds Socket.IO 4 on
 * top: POST `40` to connect, `40{…}` acknowledges, `42["m",…]` is an event.
 */
export function openEngineIoClient(job: LoadJob, tracker: Tracker, index: number): Promise<OpenClient> {
  const socketIo = job.kind === 'sio-poll';
  const base = `${job.path}?EIO=4&transport=polling`;
  const stamp: Stamp = { seq: 0, timeUs: 0 };
  const polls = new HttpConnection(job.host, job.port);
  const posts = new HttpConnection(job.host, job.port);
  let postQueue: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let failures = 0;
  return new Promise((resolve, reject) => {
    let ready = false;
    const client: OpenClient = {
      close() {
        stopped = true;
        polls.close();
        posts.close();
      },
    };
    const becomeReady = () => {
      if (ready) return;
      ready = true;
      tracker.open++;
      resolve(client);
    };
    const stop = (message: string) => {
      if (stopped) return;
      tracker.error(message);
      stopped = true;
      tracker.lastSeq[index] = Number.POSITIVE_INFINITY;
      if (ready) tracker.open--;
      else reject(new Error(message));
    };
    polls.request(base).then(
      ({ status, body }) => {
        const text = body.toString('utf8');
        if (status !== 200 || text[0] !== '0') return stop(`engine.io handshake answered ${status}`);
        const path = `${base}&sid=${encodeURIComponent((JSON.parse(text.slice(1)) as { sid: string }).sid)}`;
        // POSTs go one at a time on their own connection while a GET is pending on the other.
        const post = (payload: string) => {
          postQueue = postQueue
            .then(() => posts.request(path, payload))
            .catch((error: Error) => tracker.error(`post: ${error.message}`));
        };
        const onPacket = (packet: string, receivedUs: number) => {
          const type = packet[0];
          if (type === '4') {
            if (!socketIo) {
              if (readStampText(packet, stamp, 1))
                tracker.delivered(index, stamp.seq, stamp.timeUs, receivedUs);
            } else if (packet[1] === '2') {
              if (readStampText(packet, stamp, 2))
                tracker.delivered(index, stamp.seq, stamp.timeUs, receivedUs);
            } else if (packet[1] === '0') becomeReady();
          } else if (type === '2') post('3');
          else if (type === '1') stop('engine.io closed the session');
        };
        const poll = () => {
          if (stopped) return;
          const onSent = !socketIo && !ready ? becomeReady : undefined;
          polls.request(path, undefined, onSent).then(
            ({ status: pollStatus, body: answer }) => {
              const receivedUs = nowUs();
              if (stopped) return;
              if (pollStatus !== 200) {
                if (++failures >= MAX_FAILURES) stop(`engine.io poll answered ${pollStatus}`);
                else setTimeout(poll, RETRY_MS);
                return;
              }
              failures = 0;
              tracker.responded();
              const packets = answer.toString('utf8');
              let start = 0;
              for (;;) {
                const end = packets.indexOf(SEPARATOR, start);
                onPacket(end < 0 ? packets.slice(start) : packets.slice(start, end), receivedUs);
                if (end < 0) break;
                start = end + 1;
              }
              poll();
            },
            (error: Error) => {
              if (stopped) return;
              if (++failures >= MAX_FAILURES) stop(`engine.io poll: ${error.message}`);
              else setTimeout(poll, RETRY_MS);
            },
          );
        };
        poll();
        if (socketIo) post('40');
      },
      (error: Error) => stop(`engine.io handshake: ${error.message}`),
    );
  });
}
