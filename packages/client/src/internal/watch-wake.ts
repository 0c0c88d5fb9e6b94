/** The bits of a browser window the wake-up watch uses; absent in Node and workers without a document. */
export interface WakeSource {
  addEventListener?: (type: string, listener: () => void) => void;
  removeEventListener?: (type: string, listener: () => void) => void;
  document?: Pick<Document, 'hidden' | 'addEventListener' | 'removeEventListener'>;
}

/**
 * Calls `wake` when the browser comes back online, and when a tab hidden for at least `hiddenMs`
 * becomes visible: its connection may have died while timers were throttled or the machine slept,
 * and waiting for the next backoff step would leave the page stale. Returns a stop function.
 */
export function watchWake(
  wake: () => void,
  hiddenMs: number,
  source: WakeSource = globalThis as WakeSource,
): () => void {
  const doc = source.document;
  let hiddenAt = 0;
  const onVisibility = (): void => {
    if (doc!.hidden) hiddenAt = Date.now();
    else if (hiddenAt && Date.now() - hiddenAt >= hiddenMs) {
      hiddenAt = 0;
      wake();
    }
  };
  source.addEventListener?.('online', wake);
  doc?.addEventListener('visibilitychange', onVisibility);
  return () => {
    source.removeEventListener?.('online', wake);
    doc?.removeEventListener('visibilitychange', onVisibility);
  };
}
