import { connect, type Socket } from 'node:net';
import { type HistogramSnapshot, LatencyHistogram } from '../histogram.ts';
import { nowUs } from '../payload.ts';

/** What the load generator reports for the measured window. */
export interface WindowReport {
  /** Events received by all clients in the window. */
  deliveries: number;
  /** HTTP answers received in the window (polling transports). */
  responses: number;
  /** Publish→receive latency of every delivery in the window. */
  latency: HistogramSnapshot;
  /** Wall time of the window, µs. */
  wallUs: number;
  /** CPU time this load generator process used in the window, µs. */
  cpuUs: number;
  /** Events received since the clients connected. */
  totalDeliveries: number;
  /** Clients whose connection is still open. */
  open: number;
  /** Errors seen by clients (first few kept). */
  errors: string[];
}

/**
 * Counts deliveries and latencies for all clients of one load generator, and in window mode tells
 * the server how far every client has got (credit), so a fan-out runs as fast as the slowest
 * client reads without buffers growing without bound.
 */
export class Tracker {
  readonly latency: LatencyHistogram = new LatencyHistogram();
  measuring = false;
  deliveries = 0;
  responses = 0;
  totalDeliveries = 0;
  open = 0;
  readonly errors: string[] = [];
  /** Highest sequence number seen by each client. */
  readonly lastSeq: Float64Array;
  #windowStartUs = 0;
  #cpuStart: NodeJS.CpuUsage = process.cpuUsage();
  #credit: Socket | undefined;
  #creditTimer: ReturnType<typeof setInterval> | undefined;
  #creditSent = 0;

  constructor(clients: number) {
    this.lastSeq = new Float64Array(clients);
  }

  /** One event reached client `client`; `timeUs` is its publish time. */
  delivered(client: number, seq: number, timeUs: number, receivedUs: number): void {
    this.totalDeliveries++;
    if (seq > this.lastSeq[client]!) this.lastSeq[client] = seq;
    if (!this.measuring) return;
    this.deliveries++;
    this.latency.record(receivedUs - timeUs);
  }

  responded(): void {
    if (this.measuring) this.responses++;
  }

  error(message: string): void {
    if (this.errors.length < 5) this.errors.push(message);
  }

  startWindow(): void {
    this.latency.reset();
    this.deliveries = 0;
    this.responses = 0;
    this.#windowStartUs = nowUs();
    this.#cpuStart = process.cpuUsage();
    this.measuring = true;
  }

  endWindow(): WindowReport {
    this.measuring = false;
    const cpu = process.cpuUsage(this.#cpuStart);
    return {
      deliveries: this.deliveries,
      responses: this.responses,
      latency: this.latency.snapshot(),
      wallUs: nowUs() - this.#windowStartUs,
      cpuUs: cpu.user + cpu.system,
      totalDeliveries: this.totalDeliveries,
      open: this.open,
      errors: this.errors,
    };
  }

  /**
   * Reports the lowest sequence number every client has reached to the server's control port, every
   * `intervalMs`. Scanning all clients costs about a microsecond per thousand.
   */
  async startCredit(host: string, port: number, intervalMs: number): Promise<void> {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    socket.on('error', (error) => this.error(`credit: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    this.#credit = socket;
    this.#creditTimer = setInterval(() => {
      let min = Number.POSITIVE_INFINITY;
      for (const seq of this.lastSeq) if (seq < min) min = seq;
      if (min > this.#creditSent && Number.isFinite(min)) {
        this.#creditSent = min;
        socket.write(`${min}\n`);
      }
    }, intervalMs);
  }

  stop(): void {
    if (this.#creditTimer) clearInterval(this.#creditTimer);
    this.#credit?.destroy();
  }
}
