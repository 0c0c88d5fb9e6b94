/** The bits of a browser window the wake-up watch uses; absent in Node and workers without a document. */
export interface WakeSource {
  addEventListener?: (type: string, listener: () => void, options: AddEventListenerOptions) => void;
  document?: Pick<Document, 'hidden' | 'addEventListener'>;
}

/**
 * Calls `wake(true)` when the browser comes back online (the network changed: an open connection
 * may be dead, black-holed by the switch), and `wake(false)` when the tab becomes visible (a client
 * waiting out its backoff need not keep the page stale; an open connection that died while the tab
 * slept is found by its heartbeat watch, whose timer runs as soon as the tab is awake). Returns a
 * stop function.
 */
export function watchWake(
  wake: (online: boolean) => void,
  source: WakeSource = globalThis as WakeSource,
): () => void {
  const doc = source.document;
  // Its `signal` removes both listeners: it serves as their options.
  const quit = new AbortController();
  source.addEventListener?.('online', () => wake(true), quit);
  doc?.addEventListener(
    'visibilitychange',
    () => {
      if (!doc.hidden) wake(false);
    },
    quit,
  );
  return () => quit.abort();
}
