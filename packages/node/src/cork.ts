import type { Socket } from 'node:net';

// Sockets corked during the current tick. One write syscall per socket per tick instead of one
// per message is where most of fan-out's CPU goes (notes/performance.md, point 1).
const corked = new Set<Socket>();

function uncorkAll(): void {
  for (const socket of corked) socket.uncork();
  corked.clear();
}

/** Corks `socket` until the end of the current tick; safe to call for every write. */
export function corkForTick(socket: Socket | null | undefined): void {
  if (!socket || corked.has(socket) || socket.destroyed) return;
  socket.cork();
  corked.add(socket);
  if (corked.size === 1) process.nextTick(uncorkAll);
}
