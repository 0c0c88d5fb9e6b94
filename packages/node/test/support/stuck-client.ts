import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** A connection opened with raw bytes that stopped reading once it was in. */
export interface StuckClient {
  socket: Socket;
  /**
   * Reads again, and resolves with everything the server sent once the connection ends, or with
   * what came so far after `timeoutMs` (then `ended` is false).
   */
  drain(timeoutMs?: number): Promise<{ bytes: Buffer; ended: boolean }>;
}

/**
 * Opens `path` on `url`'s host with a raw request (`upgrade`: as a WebSocket), waits until `until`
 * appears in what came back (the welcome, the stream's opening), then stops reading: the kernel
 * still takes the server's bytes until its buffers fill, but nothing answers a closing handshake.
 */
export function openStuck(url: string, path: string, until: string, upgrade: boolean): Promise<StuckClient> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  socket.on('error', () => {});
  const head = upgrade
    ? `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
    : `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`;
  socket.write(head);
  let ended = false;
  socket.once('end', () => {
    ended = true;
  });
  const client: StuckClient = {
    socket,
    drain(timeoutMs = 5000) {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          resolve({ bytes: Buffer.concat(chunks), ended });
        };
        const timer = setTimeout(done, timeoutMs);
        if (ended || socket.destroyed) return done();
        socket.once('close', done);
        socket.resume();
      });
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${until} within 10 s`)), 10_000);
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      if (!Buffer.concat(chunks).includes(until)) return;
      clearTimeout(timer);
      // Paused explicitly, so the new listener does not resume it: what the server sends from now on
      // waits in the kernel, and is recorded once `drain` reads again.
      socket.pause();
      socket.off('data', onData);
      socket.on('data', (later: Buffer) => chunks.push(later));
      resolve(client);
    };
    socket.on('data', onData);
  });
}

/** The frames of a server-to-client WebSocket byte stream after the HTTP head: opcode and payload. */
export function wsFrames(bytes: Buffer): { opcode: number; payload: Buffer }[] {
  let at = bytes.indexOf('\r\n\r\n') + 4;
  const frames: { opcode: number; payload: Buffer }[] = [];
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let length = bytes[at + 1]! & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(offset));
      offset += 8;
    }
    if (offset + length > bytes.length) break;
    frames.push({ opcode, payload: bytes.subarray(offset, offset + length) });
    at = offset + length;
  }
  return frames;
}
