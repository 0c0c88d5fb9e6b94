import { get } from 'node:http';
import { nowUs } from '../payload.ts';
import type { OpenClient } from './connect-all.ts';
import type { LoadJob } from './job.ts';
import { readStamp, type Stamp } from './read-stamp.ts';
import { SseParser } from './sse-parser.ts';
import type { Tracker } from './tracker.ts';

/**
 * Opens one SSE client over node:http (llhttp undoes the chunked encoding; the event stream itself
 * is parsed by SseParser). Ready once the 200 head has arrived.
 */
export function openSseClient(job: LoadJob, tracker: Tracker, index: number): Promise<OpenClient> {
  const stamp: Stamp = { seq: 0, timeUs: 0 };
  let receivedUs = 0;
  const parser = new SseParser((event) => {
    if (readStamp(event.data, stamp)) tracker.delivered(index, stamp.seq, stamp.timeUs, receivedUs);
  });
  return new Promise((resolve, reject) => {
    let ready = false;
    const request = get(
      {
        host: job.host,
        port: job.port,
        path: job.path.replaceAll('{client}', String(index)),
        agent: false,
        headers: { accept: 'text/event-stream', 'cache-control': 'no-cache' },
      },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`sse answered ${response.statusCode}`));
          return;
        }
        ready = true;
        tracker.open++;
        response.on('data', (chunk: Buffer) => {
          receivedUs = nowUs();
          parser.push(chunk);
        });
        response.on('close', () => {
          tracker.open--;
          tracker.lastSeq[index] = Number.POSITIVE_INFINITY;
        });
        response.on('error', () => {});
        resolve({ close: () => request.destroy() });
      },
    );
    request.on('error', (error) => {
      tracker.error(`sse: ${error.message}`);
      tracker.lastSeq[index] = Number.POSITIVE_INFINITY;
      if (!ready) reject(error);
    });
  });
}
