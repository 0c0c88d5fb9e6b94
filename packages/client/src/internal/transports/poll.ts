import type { PollResponse } from '@tidings/core/protocol';
import { failureOf, send } from '../http.ts';
import type { Opener } from '../link.ts';

function createPoller(long: boolean): Opener {
  return (link) => {
    const o = link.options;
    let abort: AbortController | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let first = true;
    let stopped = false;

    async function cycle(): Promise<void> {
      abort = new AbortController();
      // The first long poll asks for no wait: it answers at once, so the transport is known to work
      // (and a cursor is known) without holding the caller for the whole timeout.
      const waitS = long && !first ? o.longPollTimeoutS : 0;
      const guard = setTimeout(() => abort?.abort(), waitS * 1000 + 2 * o.openTimeoutMs);
      try {
        const response = await send(
          o,
          link.token,
          long ? 'long-poll' : 'poll',
          { topics: `${link.topics}`, cursor: link.getCursor(), timeout: long ? waitS : undefined },
          { signal: abort.signal },
        );
        if (!response.ok) return link.failed(await failureOf(response));
        const body: PollResponse = await response.json();
        first = false;
        link.opened();
        if (body.reset) link.reset(body.cursor);
        else {
          for (const envelope of body.events) link.event(envelope);
          link.setCursor(body.cursor);
        }
      } finally {
        clearTimeout(guard);
      }
      if (!stopped) timer = setTimeout(run, long ? 0 : o.pollIntervalMs);
    }

    function run(): void {
      cycle().catch(() => {
        if (!stopped) link.failed({ opened: !first, network: true, message: 'network error' });
      });
    }

    run();
    return {
      close() {
        stopped = true;
        clearTimeout(timer);
        abort?.abort();
      },
    };
  };
}

/** Long polling: the server holds each request until events arrive or `longPollTimeoutS` passes. */
export const openLongPoll: Opener = createPoller(true);

/** Short polling every `pollIntervalMs`: the last resort, works through anything that passes plain HTTP. */
export const openPoll: Opener = createPoller(false);
