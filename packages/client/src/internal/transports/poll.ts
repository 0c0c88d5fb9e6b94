import type { PollResponse } from '@tidings/core/protocol';
import { failureOf, linkUrl, NETWORK, send } from '../http.ts';
import type { Opener } from '../link.ts';

function createPoller(long: boolean): Opener {
  return (link) => {
    let abort: AbortController;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The first long poll asks for no wait: it answers at once, so the transport is known to work
    // (and a cursor is known) without holding the caller for the whole timeout.
    let waitS = 0;
    let stopped: boolean | undefined;

    const run = async (): Promise<unknown> => {
      abort = new AbortController();
      // A poll not answered within its wait plus `connectTimeoutMs` is abandoned: a frozen server or
      // a dead network would otherwise hold it for ever. It counts as a network failure (retry).
      const guard = setTimeout(() => abort.abort(), waitS * 1000 + link.connectTimeoutMs);
      try {
        const response = await send(
          link,
          linkUrl(link, long ? 'long-poll' : 'poll', long ? waitS : undefined),
          {
            signal: abort.signal,
          },
        );
        if (!response.ok) return link.fail(await failureOf(response));
        const body: PollResponse = await response.json();
        link.open();
        // A reset of everything comes with no events and the head as cursor; a reset of some topics
        // names where they lost events: after the cursor this poll was sent with.
        if (body.reset || body.resetTopics)
          link.reset({ cursor: body.reset ? body.cursor : link.cursor()!, topics: body.resetTopics });
        for (const envelope of body.events) link.event(envelope);
        link.setCursor(body.cursor);
        if (long) waitS = link.longPollTimeoutMs / 1000;
        // A closing server tells each long poll when to come back (`retryMs`), spreading them out.
        if (!stopped) timer = setTimeout(run, long ? body.retryMs : link.pollIntervalMs);
      } catch {
        return stopped || link.fail(NETWORK);
      } finally {
        clearTimeout(guard);
      }
    };

    run();
    return {
      close() {
        stopped = true;
        clearTimeout(timer);
        abort.abort();
      },
    };
  };
}

/** Long polling: the server holds each request until events arrive or `longPollTimeoutMs` passes. */
export const openLongPoll: Opener = createPoller(true);

/** Short polling every `pollIntervalMs`: the last resort, works through anything that passes plain HTTP. */
export const openPoll: Opener = createPoller(false);
