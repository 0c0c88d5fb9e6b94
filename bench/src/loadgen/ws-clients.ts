import WebSocket from 'ws';
import { nowUs } from '../payload.ts';
import type { OpenClient } from './connect-all.ts';
import type { LoadJob } from './job.ts';
import { readStamp, type Stamp } from './read-stamp.ts';
import type { Tracker } from './tracker.ts';

const CH_0 = 0x30;
const CH_2 = 0x32;
const CH_4 = 0x34;

/**
 * Opens one WebSocket client. Kind `ws`: every text frame that carries a stamp is a delivery.
 * Kind `sio-ws`: the engine.io v4 / Socket.IO 4 framing spoken by hand (`0` open → send `40`,
 * `40` connected, `2` ping → `3` pong, `42[…]` event), so Socket.IO costs the load generator the
 * same per message as the other targets.
 */
export function openWsClient(job: LoadJob, tracker: Tracker, index: number): Promise<OpenClient> {
  const socketIo = job.kind === 'sio-ws';
  const readyOnMessage = job.readyOn === 'message';
  const stamp: Stamp = { seq: 0, timeUs: 0 };
  return new Promise((resolve, reject) => {
    const path = job.path.replaceAll('{client}', String(index));
    const ws = new WebSocket(`ws://${job.host}:${job.port}${path}`, { perMessageDeflate: false });
    let ready = false;
    const client: OpenClient = { close: () => ws.terminate() };
    const becomeReady = () => {
      if (ready) return;
      ready = true;
      tracker.open++;
      resolve(client);
    };
    ws.on('error', (error) => {
      tracker.error(`ws: ${error.message}`);
      if (!ready) reject(error);
    });
    ws.on('close', () => {
      if (ready) tracker.open--;
      // A closed client no longer holds the fan-out's credit back.
      tracker.lastSeq[index] = Number.POSITIVE_INFINITY;
      if (!ready) reject(new Error('ws closed before it was ready'));
    });
    if (!socketIo && !readyOnMessage) ws.on('open', becomeReady);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const receivedUs = nowUs();
      if (isBinary) return;
      if (socketIo) {
        const type = data[0];
        if (type === CH_4 && data[1] === CH_2) {
          if (readStamp(data, stamp, 2)) tracker.delivered(index, stamp.seq, stamp.timeUs, receivedUs);
        } else if (type === CH_0) ws.send('40');
        else if (type === CH_4 && data[1] === CH_0) becomeReady();
        else if (type === CH_2) ws.send('3');
        return;
      }
      if (readStamp(data, stamp)) tracker.delivered(index, stamp.seq, stamp.timeUs, receivedUs);
      else if (readyOnMessage) becomeReady();
    });
  });
}
