import type { Duplex } from 'node:stream';

// Node emits `drain` only after a write found the queue over the socket's highWaterMark (64 KiB).
// Below that mark a queue still draining (the peer's window is full) is looked at again after this.
const RECHECK_MS = 10;

/**
 * Resolves once `socket` has handed what it queued to the OS (its `drain`), or it closed. When Node
 * will not emit `drain` (the queue is under the socket's own mark), it resolves after RECHECK_MS
 * instead, for the caller to read the queue again. Listeners are removed either way.
 */
export function drainOf(socket: Duplex | null | undefined): Promise<void> {
  if (!socket || socket.destroyed || socket.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    const timer = socket.writableNeedDrain ? undefined : setTimeout(done, RECHECK_MS);
    socket.once('drain', done);
    socket.once('close', done);
  });
}
