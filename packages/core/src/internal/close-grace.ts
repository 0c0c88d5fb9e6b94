/**
 * How long a client cut as a slow consumer gets to take its close (the WebSocket close frame, the
 * SSE `close` event) before its socket is destroyed, in ms. Its limit slot is free at once: the
 * close waits behind everything the client did not read, so a closing handshake could otherwise
 * hold the slot for as long as the runtime waits for one (30 s in `ws`).
 */
export const CLOSE_GRACE_MS = 5000;

/**
 * Runs `drop` after the close grace. The timer does not keep a Node process alive (where timers
 * can be unref'd): a process that is done otherwise need not wait for a peer it gave up on.
 */
export function afterCloseGrace(drop: () => void): void {
  const timer = setTimeout(drop, CLOSE_GRACE_MS) as unknown as { unref?(): void };
  timer.unref?.();
}
