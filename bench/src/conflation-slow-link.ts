// `pnpm --filter tidings-bench bench:conflation`: what conflating a state topic saves a client on a
// slow link. A hub publishes a stream of values for a set of names (prices, say) faster than one
// client's link carries them; the client reconnects with its cursor when it is dropped, as
// @tidings/client does. The same run with and without `conflateTopics`, in alternating rounds;
// prints what the client received, how stale the values were when they arrived, how often it was
// dropped, and how long after the last publish it held the latest value of every name.
//
// Two links. `modeled` (the default): the hub's real WebSocket connection, conflation and fan-out,
// through the adapter seam (`upgrade`) onto a port that sends at a fixed rate behind a network
// buffer of BENCH_NET_BUFFER bytes (64 KB), the way a socket on a slow path reports its queue.
// `loopback` (BENCH_LINK=loopback): a real server and `ws` client, with a TCP relay that reads the
// server at the link's rate. On loopback the kernel's socket buffers grow to several MB
// (tcp_wmem/tcp_rmem autotuning), so the server sees its client fall behind only past them.
import net from 'node:net';
import { createHub, type Hub } from '@tidings/core';
import { type SocketHandlers, type SocketPort, upgrade } from '@tidings/core/adapter';
import { serve } from '@tidings/node';
import WebSocket from 'ws';

const LINK = process.env.BENCH_LINK === 'loopback' ? 'loopback' : 'modeled';
const NET_BUFFER = Number(process.env.BENCH_NET_BUFFER ?? 65_536);
const CONFLATE_BYTES = Number(process.env.BENCH_CONFLATE_BYTES ?? 65_536);

const ROUNDS = Number(process.env.BENCH_CONFLATION_ROUNDS ?? 2);
const LINK_BYTES_PER_S = Number(process.env.BENCH_LINK_BYTES_PER_S ?? 50_000);
const NAMES = 20;
const PUBLISHES_PER_S = Number(process.env.BENCH_PUBLISHES_PER_S ?? 1000);
const PAD_CHARS = 400;
const PUBLISH_MS = Number(process.env.BENCH_CONFLATION_MS ?? 15_000);
// After the last publish, how long the client may take to hold the latest value of every name.
const SETTLE_LIMIT_MS = 120_000;

/** A TCP relay whose server-to-client direction carries at most `bytesPerS`; it reads the server no faster. */
async function slowLink(targetPort: number, bytesPerS: number) {
  let carried = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect(targetPort, '127.0.0.1');
    sockets.add(down).add(up);
    let allowance = 0;
    up.pause();
    // Every 10 ms the link may carry a hundredth of a second's bytes; a larger chunk is a debt.
    const tick = setInterval(() => {
      allowance = Math.min(allowance + bytesPerS / 100, bytesPerS / 10);
      if (allowance > 0) up.resume();
    }, 10);
    up.on('data', (chunk: Buffer) => {
      carried += chunk.length;
      allowance -= chunk.length;
      if (allowance <= 0) up.pause();
      down.write(chunk);
    });
    down.on('data', (chunk: Buffer) => up.write(chunk));
    const end = () => {
      clearInterval(tick);
      up.destroy();
      down.destroy();
      sockets.delete(up);
      sockets.delete(down);
    };
    up.on('close', end).on('error', end);
    down.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    carried: () => carried,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Received {
  name: string;
  n: number;
  ageMs: number;
  conflated: boolean;
}

/** A WebSocket client that reconnects with its cursor whenever it is closed, until stopped. */
function reconnectingClient(url: string) {
  const received: Received[] = [];
  const resets = { count: 0 };
  const closes: number[] = [];
  let cursor: string | undefined;
  let socket: WebSocket | undefined;
  let stopped = false;
  const open = () => {
    const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    socket = new WebSocket(`${url}/ws?topics=prices${query}`, { perMessageDeflate: false });
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as {
        type: string;
        id: string;
        event: string;
        data: { n: number; t: number };
        conflated?: true;
      };
      if (message.type === 'reset') resets.count++;
      if (message.type !== 'event') return;
      cursor = message.id;
      received.push({
        name: message.event,
        n: message.data.n,
        ageMs: Date.now() - message.data.t,
        conflated: message.conflated === true,
      });
    });
    socket.on('close', (code) => {
      if (stopped) return;
      closes.push(code);
      setTimeout(open, 100);
    });
    socket.on('error', () => {});
  };
  open();
  return {
    received,
    closes,
    resets,
    stop() {
      stopped = true;
      socket?.terminate();
    },
  };
}

/**
 * A WebSocket port whose link carries `bytesPerS`: sent text waits in a queue that drains every
 * 10 ms; the first `netBuffer` bytes of it are "in the network" (a socket's `bufferedAmount` does
 * not count what the kernel took), the rest is what the hub sees queued. A close goes out behind
 * what the network holds; what the server still queued is lost with the connection.
 */
class ModeledLink implements SocketPort {
  handlers: SocketHandlers | undefined;
  carried = 0;
  readonly #queue: string[] = [];
  #queued = 0;
  #allowance = 0;
  #closed = false;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly bytesPerS: number;
  readonly netBuffer: number;
  readonly onText: (text: string) => void;
  readonly onClose: (code: number) => void;

  constructor(
    bytesPerS: number,
    netBuffer: number,
    onText: (text: string) => void,
    onClose: (code: number) => void,
  ) {
    this.bytesPerS = bytesPerS;
    this.netBuffer = netBuffer;
    this.onText = onText;
    this.onClose = onClose;
    this.#timer = setInterval(() => this.#drain(), 10);
  }

  send(text: string): void {
    if (this.#closed) return;
    this.#queue.push(text);
    this.#queued += text.length;
  }

  close(code: number): void {
    if (this.#closed) return;
    this.#closed = true;
    // Only what was already in the network reaches the client before the close.
    let inNetwork = 0;
    while (this.#queue.length > 0 && inNetwork + this.#queue[0]!.length <= this.netBuffer) {
      const text = this.#queue.shift()!;
      inNetwork += text.length;
      this.carried += text.length;
      this.onText(text);
    }
    clearInterval(this.#timer);
    queueMicrotask(() => {
      this.handlers?.closed();
      this.onClose(code);
    });
  }

  terminate(): void {
    this.close(1006);
  }

  bufferedAmount(): number {
    return Math.max(0, this.#queued - this.netBuffer);
  }

  #drain(): void {
    this.#allowance = Math.min(this.#allowance + this.bytesPerS / 100, this.bytesPerS / 10);
    while (this.#queue.length > 0 && this.#allowance > 0) {
      const text = this.#queue.shift()!;
      this.#queued -= text.length;
      this.#allowance -= text.length;
      this.carried += text.length;
      this.onText(text);
    }
  }

  stop(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }
}

/** The reconnecting client on a modeled link, through the hub's upgrade seam. */
function modeledClient(hub: Hub) {
  const received: Received[] = [];
  const resets = { count: 0 };
  const closes: number[] = [];
  let cursor: string | undefined;
  let link: ModeledLink | undefined;
  let carried = 0;
  let stopped = false;
  const onText = (text: string) => {
    const message = JSON.parse(text) as {
      type: string;
      id: string;
      event: string;
      data: { n: number; t: number };
      conflated?: true;
    };
    if (message.type === 'reset') resets.count++;
    if (message.type !== 'event') return;
    cursor = message.id;
    received.push({
      name: message.event,
      n: message.data.n,
      ageMs: Date.now() - message.data.t,
      conflated: message.conflated === true,
    });
  };
  const open = async () => {
    const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const decision = await upgrade(hub, new Request(`http://link.test/realtime/ws?topics=prices${query}`));
    if (!decision.accepted) throw new Error('upgrade refused');
    const port = new ModeledLink(LINK_BYTES_PER_S, NET_BUFFER, onText, (code) => {
      carried += port.carried;
      if (stopped) return;
      closes.push(code);
      setTimeout(() => void open(), 100);
    });
    link = port;
    port.handlers = decision.accept(port);
  };
  void open();
  return {
    received,
    closes,
    resets,
    carried: () => carried + (link?.carried ?? 0),
    stop() {
      stopped = true;
      link?.stop();
      link?.handlers?.closed();
    },
  };
}

const percentile = (values: number[], p: number) =>
  values.length === 0 ? Number.NaN : [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) * p)]!;

async function run(conflate: boolean) {
  const hub = createHub({
    anonymous: true,
    ...(conflate ? { conflateTopics: ['prices'], conflateBufferedBytes: CONFLATE_BYTES } : {}),
  });
  let client: { received: Received[]; closes: number[]; resets: { count: number }; stop(): void };
  let carried: () => number;
  let shut: () => Promise<void>;
  if (LINK === 'modeled') {
    const modeled = modeledClient(hub);
    client = modeled;
    carried = modeled.carried;
    shut = () => hub.close();
  } else {
    const served = await serve(hub, { port: 0 });
    const link = await slowLink(Number(new URL(served.url).port), LINK_BYTES_PER_S);
    client = reconnectingClient(`ws://127.0.0.1:${link.port}/realtime`);
    carried = link.carried;
    shut = async () => {
      await link.close();
      await served.close();
    };
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  const pad = 'x'.repeat(PAD_CHARS);
  const last = new Map<string, number>();
  let n = 0;
  const started = Date.now();
  while (Date.now() - started < PUBLISH_MS) {
    // A batch per 10 ms: the rate holds even when a timer fires late.
    const due = Math.floor(((Date.now() - started) * PUBLISHES_PER_S) / 1000);
    while (n < due) {
      const name = `n${n % NAMES}`;
      await hub.publish('prices', { n, t: Date.now(), pad }, { event: name });
      last.set(name, n);
      n++;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const stoppedAt = Date.now();
  const current = () => {
    const newest = new Map<string, number>();
    for (const r of client.received) newest.set(r.name, Math.max(newest.get(r.name) ?? -1, r.n));
    return [...last].every(([name, value]) => newest.get(name) === value);
  };
  while (!current() && Date.now() - stoppedAt < SETTLE_LIMIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const settledMs = current() ? Date.now() - stoppedAt : Number.NaN;
  client.stop();
  const ages = client.received.map((r) => r.ageMs);
  const result = {
    mode: conflate ? 'conflated' : 'plain',
    published: n,
    received: client.received.length,
    conflated: client.received.filter((r) => r.conflated).length,
    kbCarried: carried() / 1000,
    // Every close before the end is the server's: 1013, or 1006 once a slow consumer's socket is
    // destroyed after the close grace with its close frame still stuck behind the backlog.
    drops: client.closes.length,
    resets: client.resets.count,
    ageP50: percentile(ages, 0.5),
    ageP99: percentile(ages, 0.99),
    settledMs,
  };
  await shut();
  return result;
}

const linkText =
  LINK === 'modeled'
    ? `a modeled link with a ${NET_BUFFER / 1024} KiB network buffer`
    : 'a loopback TCP relay';
console.log(
  `${NAMES} names, ${PUBLISHES_PER_S} publishes/s of ~${PAD_CHARS + 100} bytes for ${PUBLISH_MS / 1000} s; ` +
    `${linkText} at ${LINK_BYTES_PER_S / 1000} KB/s; maxBufferedBytes 1 MiB, conflateBufferedBytes ${CONFLATE_BYTES / 1024} KiB; ` +
    `${ROUNDS} rounds each.\n`,
);
console.log(
  '| round | mode | published | received | of them conflated | KB over the link | disconnected | resets | value age p50 ms | p99 ms | latest of every name, ms after the last publish |',
);
console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (let round = 1; round <= ROUNDS; round++) {
  // Alternate which mode runs first, so neither always meets a warmer (or busier) machine.
  for (const conflate of round % 2 ? [false, true] : [true, false]) {
    const r = await run(conflate);
    console.log(
      `| ${round} | ${r.mode} | ${r.published} | ${r.received} | ${r.conflated} | ${r.kbCarried.toFixed(0)} | ${r.drops} | ${r.resets} | ${r.ageP50.toFixed(0)} | ${r.ageP99.toFixed(0)} | ${Number.isNaN(r.settledMs) ? `not within ${SETTLE_LIMIT_MS / 1000} s` : r.settledMs.toFixed(0)} |`,
    );
  }
}
