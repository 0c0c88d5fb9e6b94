/** What a health check runs and whom it tells. */
export interface HealthCheckOptions {
  /** Time between checks, in ms. */
  intervalMs: number;
  /** One check: resolves when the broker answered, rejects when it did not (in bounded time). */
  probe(): Promise<void>;
  /** Called when the state changes: down with the error that showed it, or up again. */
  onChange(healthy: boolean, error?: unknown): void;
}

/**
 * For broker authors (`@tidings/core/broker`), as the Redis and PostgreSQL brokers use it: one timer
 * per broker that asks the server for an answer every `intervalMs`. A server that stops
 * answering without closing the connection (frozen, or a partition that drops packets) is noticed
 * by the next check, not by TCP minutes later. While it is down, calls are refused at once.
 */
export class HealthCheck {
  healthy = true;
  readonly #options: HealthCheckOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running = false;

  constructor(options: HealthCheckOptions) {
    this.#options = options;
  }

  /** Starts the checks, once the broker is connected (a check while it connects would fail). */
  start(): void {
    this.#timer ??= setInterval(() => this.check(), this.#options.intervalMs);
    // The check alone must not keep a process alive.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Runs a check now unless one is running. */
  check(): void {
    if (this.#running) return;
    this.#running = true;
    this.#options
      .probe()
      .then(
        () => this.#set(true),
        (error: unknown) => this.#set(false, error),
      )
      .finally(() => {
        this.#running = false;
      });
  }

  /** A call timed out: the broker counts as down until a check gets an answer. */
  suspect(error: unknown): void {
    this.#set(false, error);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #set(healthy: boolean, error?: unknown): void {
    if (healthy === this.healthy) return;
    this.healthy = healthy;
    this.#options.onChange(healthy, error);
  }
}
