// The part every target server script shares: it publishes (the server side decides when, like a
// real application), measures its own CPU and memory, and takes commands from the runner over
// stdin. The target script only says how to start its server and how to broadcast one event.

import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer, type Socket } from 'node:net';
import { writeHeapSnapshot } from 'node:v8';
import { type BenchData, createPayload, nowUs } from '../payload.ts';
import { type RpcRequest, reply, serveRpc } from '../rpc.ts';

const MAX_LIFETIME_MS = 10 * 60_000;
/** Most events one publish command may send, and longest it may run: every loop is bounded. */
const MAX_EVENTS = 50_000_000;
const MAX_PUBLISH_MS = 5 * 60_000;
/** Events a rate-mode tick may catch up at once after a stall. */
const MAX_CATCH_UP = 1000;

/** A started target. */
export interface TargetServer {
  /** The HTTP port the clients connect to. */
  port: number;
  /** Sends one event to every subscribed client, the way an application on this stack would. */
  broadcast(data: BenchData, seq: number): void;
  /** Open connections, when the stack can tell. */
  connections?(): number;
}

/** What `stats` answers. */
export interface ServerStats {
  /** Process CPU time (all threads) since start, µs. */
  cpuUs: number;
  /** When the figures were taken, µs on the shared monotonic clock. */
  wallUs: number;
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  /** Events published since the process started. */
  published: number;
  connections: number | undefined;
}

interface PublishCommand {
  mode: 'window' | 'rate';
  /** window mode: events that may be ahead of the slowest client. */
  window?: number;
  /** window mode: events published per macrotask at most. */
  burst?: number;
  /** rate mode: events per second. */
  ratePerS?: number;
  maxEvents?: number;
  maxMs?: number;
}

declare const gc: (() => void) | undefined;

/**
 * Starts the target, a control port for credit, and the command loop; prints
 * `{"id":0,"result":{"port","controlPort","pid"}}` when ready.
 */
export async function runTargetServer(start: (args: string[]) => Promise<TargetServer>): Promise<void> {
  const target = await start(process.argv.slice(2));
  let seq = 0;
  let mode: 'idle' | 'window' | 'rate' = 'idle';
  let limit = 0;
  let deadline = 0;
  let window = 0;
  let burst = 1;
  // Where the current window-mode publish started: clients that have seen nothing yet count as here.
  let windowBase = 0;
  let pumpScheduled = false;
  let rateTimer: ReturnType<typeof setTimeout> | undefined;

  const publishOne = () => {
    seq++;
    target.broadcast(createPayload(seq), seq);
  };
  const stopIfDone = () => {
    if (seq >= limit || Date.now() > deadline) stop();
  };

  // Credit: each load generator reports, one line per update, the lowest sequence number all its
  // clients have received; the publisher may run `window` events ahead of the lowest of them.
  const credits = new Map<Socket, number>();
  const credit = () => {
    let min = Number.POSITIVE_INFINITY;
    for (const value of credits.values()) min = Math.min(min, value);
    return Number.isFinite(min) ? min : 0;
  };
  const control = createNetServer((socket) => {
    credits.set(socket, 0);
    let buffered = '';
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      buffered += text;
      const lf = buffered.lastIndexOf('\n');
      if (lf < 0) return;
      const lines = buffered.slice(0, lf).split('\n');
      buffered = buffered.slice(lf + 1);
      credits.set(socket, Number(lines[lines.length - 1]));
      schedulePump();
    });
    socket.on('close', () => credits.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));

  function pump(): void {
    pumpScheduled = false;
    if (mode !== 'window') return;
    const allowed = Math.max(credit(), windowBase) + window;
    let sent = 0;
    while (seq < allowed && sent < burst && seq < limit) {
      publishOne();
      sent++;
    }
    stopIfDone();
    if (mode === 'window' && seq < allowed) schedulePump();
  }
  function schedulePump(): void {
    if (pumpScheduled || mode !== 'window') return;
    pumpScheduled = true;
    setImmediate(pump);
  }

  function startRate(ratePerS: number): void {
    const startMs = performance.now();
    const first = seq;
    const tick = () => {
      if (mode !== 'rate') return;
      const due = first + Math.floor(((performance.now() - startMs) * ratePerS) / 1000) + 1;
      let n = 0;
      while (seq < due && n < MAX_CATCH_UP && seq < limit) {
        publishOne();
        n++;
      }
      stopIfDone();
      if (mode !== 'rate') return;
      const nextAtMs = startMs + ((seq - first) * 1000) / ratePerS;
      rateTimer = setTimeout(tick, Math.max(0, nextAtMs - performance.now()));
    };
    tick();
  }

  function stop(): void {
    mode = 'idle';
    clearTimeout(rateTimer);
  }

  const stats = (request: RpcRequest): ServerStats => {
    if (request.gc === true && typeof gc === 'function') {
      gc();
      gc();
    }
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    return {
      cpuUs: cpu.user + cpu.system,
      wallUs: nowUs(),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      externalBytes: memory.external,
      published: seq,
      connections: target.connections?.(),
    };
  };

  // Diagnostics for `--cpu-prof`: a CPU profile of the measured window only (startup and
  // connection setup left out), and a heap snapshot of idle connections.
  let profiler: Session | undefined;
  const profileStart = async () => {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
    await profiler.post('Profiler.start');
    return { ok: true };
  };
  const profileStop = async (path: string) => {
    if (!profiler) throw new Error('no profile running');
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = undefined;
    await writeFile(path, JSON.stringify(profile));
    return { path };
  };

  serveRpc(
    (request) => {
      switch (request.op) {
        case 'stats':
          return stats(request);
        case 'profile-start':
          return profileStart();
        case 'profile-stop':
          return profileStop(String(request.path));
        case 'heap-snapshot':
          return { path: writeHeapSnapshot(String(request.path)) };
        case 'publish': {
          const command = request as unknown as PublishCommand;
          stop();
          limit = seq + Math.min(command.maxEvents ?? MAX_EVENTS, MAX_EVENTS);
          deadline = Date.now() + Math.min(command.maxMs ?? MAX_PUBLISH_MS, MAX_PUBLISH_MS);
          if (command.mode === 'window') {
            mode = 'window';
            windowBase = seq;
            window = Math.max(1, command.window ?? 64);
            burst = Math.max(1, command.burst ?? 16);
            schedulePump();
          } else {
            mode = 'rate';
            startRate(Math.max(0.1, command.ratePerS ?? 100));
          }
          return { published: seq };
        }
        case 'stop':
          stop();
          return { published: seq };
        default:
          throw new Error(`unknown op ${request.op}`);
      }
    },
    // No graceful close: the process exits and the kernel closes every socket at once, the same
    // for every target (a drain would only add time between runs).
    () => stop(),
    MAX_LIFETIME_MS,
  );
  reply({
    id: 0,
    result: { port: target.port, controlPort: (control.address() as AddressInfo).port, pid: process.pid },
  });
}
