/** Polls `check` every 5 ms until it holds; fails after `timeoutMs` naming `what`. Never a test of speed: the bound is generous. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Lets the event loop run many I/O rounds: `rounds` round trips straight to the server (not through
 * a proxy), each several loop turns long. Bytes free to move through a proxy on loopback move within
 * a few turns, so after this their absence means they were held, not slow.
 */
export async function settle(serverUrl: string, rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await (await fetch(`${serverUrl}/poll?topics=settle`)).text();
}
