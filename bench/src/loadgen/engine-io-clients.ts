import { type Agent, type ClientRequest, request } from 'node:http';
import { nowUs } from '../payload.ts';
import type { OpenClient } from './connect-all.ts';
import type { LoadJob } from './job.ts';
import { readStampText, type Stamp } from './read-stamp.ts';
import type { Tracker } from './tracker.ts';

const MAX_FAILURES = 20;
const RETRY_MS = 50;
// engine.io v4 joins the packets of one polling answer with the record separator.
const SEPARATOR = '\x1e';

function send(
  job: LoadJob,
  agent: Agent,
  path: string,
  body: string | undefined,
  onRequest?: (req: ClientRequest) => void,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (body !== undefined) {
      headers['content-type'] = 'text/plain;charset=UTF-8';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const req = request(
      { host: job.host, port: job.port, path, agent, method: body === undefined ? 'GET' : 'POST', headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    onRequest?.(req);
    req.end(body);
  });
}

/**
 * An engine.io v4 HTTP long-polling client written from the protocol (handshake `0{sid…}`, then one
 * GET pending at a time, packets split on U+001E, `2` ping answered by a POSTed `3`), on the same
 * keep-alive agent as the other polling clients, so every long-poll target gets the same client
 * cost. Kind `sio-poll` adds Socket.IO 4 on top: POST `40` to connect, `40{…}` acknowledges,
 * `42["m",…]` is an event.
 */
export function openEngineIoClient(
  job: LoadJob,
  tracker: Tracker,
  index: number,
  agent: Agent,
): Promise<OpenClient> {
  const socketIo = job.kind === 'sio-poll';
  const base = `${job.path}?EIO=4&transport=polling`;
  const stamp: Stamp = { seq: 0, timeUs: 0 };
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
    const stop = (message: string) => {
      tracker.error(message);
      stopped = true;
      tracker.lastSeq[index] = Number.POSITIVE_INFINITY;
      if (ready) tracker.open--;
      else reject(new Error(message));
    };
    const handshake = async () => {
      const { status, text } = await send(job, agent, base, undefined);
      if (status !== 200 || text[0] !== '0') throw new Error(`engine.io handshake answered ${status}`);
      return (JSON.parse(text.slice(1)) as { sid: string }).sid;
    };
    handshake().then(
      (sid) => {
        const path = `${base}&sid=${encodeURIComponent(sid)}`;
        const post = (body: string) =>
          send(job, agent, path, body).catch((error: Error) => tracker.error(`post: ${error.message}`));
        const onPacket = (packet: string, receivedUs: number) => {
          const type = packet[0];
          if (type === '4') {
            if (socketIo) {
              if (packet[1] === '2') {
                if (readStampText(packet, stamp, 2))
                  tracker.delivered(index, stamp.seq, stamp.timeUs, receivedUs);
              } else if (packet[1] === '0') becomeReady();
            } else if (readStampText(packet, stamp, 1))
              tracker.delivered(index, stamp.seq, stamp.timeUs, receivedUs);
          } else if (type === '2') void post('3');
          else if (type === '1') stop('engine.io closed the session');
        };
        const poll = () => {
          if (stopped) return;
          send(job, agent, path, undefined, (req) => {
            current = req;
            if (!socketIo && !ready) req.once('finish', becomeReady);
          }).then(
            ({ status, text }) => {
              const receivedUs = nowUs();
              if (stopped) return;
              if (status !== 200) {
                if (++failures >= MAX_FAILURES) stop(`engine.io poll answered ${status}`);
                else setTimeout(poll, RETRY_MS);
                return;
              }
              failures = 0;
              tracker.responded();
              let start = 0;
              for (;;) {
                const end = text.indexOf(SEPARATOR, start);
                onPacket(end < 0 ? text.slice(start) : text.slice(start, end), receivedUs);
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
        if (socketIo) void post('40');
      },
      (error: Error) => stop(error.message),
    );
  });
}
