/** How long a suite step waits for something that should happen, in ms (a bound, never a speed check). */
export const WAIT_MS = 5000;

/**
 * Collects what a client receives and lets a test wait, with a bound, until a condition on
 * everything received so far holds. Waiting never polls a clock in a loop: each arrival rechecks.
 */
export class Inbox<T> {
  readonly items: T[] = [];
  #ended = false;
  #waiters = new Set<() => void>();

  push(item: T): void {
    this.items.push(item);
    this.#notify();
  }

  /** Marks the source finished; waiters whose condition is still false fail at once. */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  get ended(): boolean {
    return this.#ended;
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** Resolves once `check(items)` is true; rejects after `timeoutMs` or when the source ends first. */
  until(check: (items: T[]) => boolean, what: string, timeoutMs: number = WAIT_MS): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.#waiters.delete(test);
        if (error) reject(error);
        else resolve(this.items);
      };
      const describe = () => `${what}; received ${JSON.stringify(this.items).slice(0, 2000)}`;
      const test = () => {
        if (check(this.items)) finish();
        else if (this.#ended) finish(new Error(`source ended before ${describe()}`));
      };
      const timer = setTimeout(() => finish(new Error(`timed out waiting for ${describe()}`)), timeoutMs);
      this.#waiters.add(test);
      test();
    });
  }

  /** Waits until at least `count` items matching `filter` arrived; resolves to those items. */
  async count(count: number, filter: (item: T) => boolean, what: string, timeoutMs?: number): Promise<T[]> {
    await this.until((items) => items.filter(filter).length >= count, `${count} × ${what}`, timeoutMs);
    return this.items.filter(filter);
  }

  /** Resolves when the source ends (rejects after the bound). */
  closed(what: string, timeoutMs: number = WAIT_MS): Promise<T[]> {
    return this.until(() => this.#ended, `${what} to end`, timeoutMs);
  }
}

/** Resolves after `ms`. For pacing only; never used to assert speed. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Re-runs `probe` (bounded by count and time) until it returns a value that is not undefined. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs: number = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 500; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) break;
    await sleep(20);
  }
  throw new Error(`gave up waiting for ${what}`);
}
