import type { ServerResponse } from 'node:http';
import type { EventRecord, StreamPort } from '@tidings/core';
import { corkForTick } from './cork.ts';

// Each event's SSE frame as a Buffer, made once and written to every subscriber.
const SSE_BUFFER = Symbol('tidings.node.sse-buffer');

function frameOf(record: EventRecord): Buffer {
  let buffer = record.frames.get(SSE_BUFFER) as Buffer | undefined;
  if (!buffer) {
    buffer = Buffer.from(record.sseText);
    record.frames.set(SSE_BUFFER, buffer);
  }
  return buffer;
}

/**
 * The Node fast path for SSE: writes go straight to the ServerResponse (no web stream), each
 * event's bytes are shared by all subscribers, and the socket is corked per tick so a burst of
 * events costs one syscall per client.
 */
export function createNodeStreamPort(res: ServerResponse): StreamPort {
  return {
    open(status, headers) {
      // setHeader before writeHead so middleware hooking writeHead (compression) sees them.
      headers.forEach((value, key) => {
        res.setHeader(key, value);
      });
      res.socket?.setTimeout(0);
      res.socket?.setNoDelay(true);
      res.writeHead(status);
    },
    write(chunk, record) {
      if (res.writableEnded || res.destroyed) return;
      corkForTick(res.socket);
      res.write(record ? frameOf(record) : chunk);
    },
    end() {
      if (!res.writableEnded) res.end();
    },
    bufferedAmount() {
      return res.writableLength + (res.socket?.writableLength ?? 0);
    },
  };
}
