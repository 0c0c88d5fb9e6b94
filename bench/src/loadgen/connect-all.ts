/** A client the load generator can close. */
export interface OpenClient {
  close(): void;
}

/** How many clients became ready. */
export interface ConnectReport {
  connected: number;
  failed: number;
}

/**
 * Opens `count` clients with at most `concurrency` handshakes in flight (a burst of 10,000 SYNs
 * would overflow the listen backlog and measure the kernel, not the server). `open(i)` resolves
 * when client i is ready; each gets `timeoutMs`.
 */
export async function connectAll(
  count: number,
  concurrency: number,
  timeoutMs: number,
  open: (index: number) => Promise<OpenClient>,
  onError: (message: string, index: number) => void,
): Promise<{ report: ConnectReport; clients: OpenClient[] }> {
  const clients: OpenClient[] = [];
  let next = 0;
  let connected = 0;
  let failed = 0;
  async function worker(): Promise<void> {
    while (next < count) {
      const index = next++;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`client ${index} not ready after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      const opening = open(index);
      try {
        clients.push(await Promise.race([opening, timeout]));
        connected++;
      } catch (error) {
        failed++;
        onError((error as Error).message, index);
        // A client that turns up after its timeout is closed rather than left open uncounted.
        opening.then(
          (late) => late.close(),
          () => {},
        );
      } finally {
        clearTimeout(timer);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  return { report: { connected, failed }, clients };
}
