import type { CloseNotice } from '@tidings/core/protocol';
import { toClientCode } from '../../client-error.ts';
import type { Failure } from '../decide.ts';
import { failureOf, linkUrl, NETWORK, send } from '../http.ts';
import type { Opener } from '../link.ts';
import { createSseDecoder } from '../sse-decoder.ts';

/**
 * Server-Sent Events over fetch streaming, so the token travels in the Authorization header (the
 * native EventSource can only put it in the URL). Each request has `connectTimeoutMs` to be
 * answered; the server's opening comment goes out with the head, so an answer whose opening does not
 * follow within `openTimeoutMs` is being held by something in between (a buffering proxy; see
 * Link.wait). The opening names the server's heartbeat interval, which the connection watches from
 * then on.
 */
export const openSse: Opener = (link) => {
  const abort = new AbortController();
  let done: boolean | undefined;
  let notice: CloseNotice | undefined;
  const decode = createSseDecoder(
    (event, data) => {
      const value = JSON.parse(data);
      // Only an envelope has an id (an event may be named `reset`); the control events have none.
      if (value.id) link.event(value);
      else if (event === 'close') notice = value;
      else if (event === 'reset' || event === 'unsubscribed') link[event](value);
    },
    // `open heartbeat=15000 cursor=<head>` (older servers: `open`). Opening twice changes nothing.
    (text) => {
      // Without a heartbeat the interval is NaN (`+undefined`), which watches nothing, as 0 would.
      if (text.startsWith('open')) {
        link.open(+(/heartbeat=(\d+)/.exec(text)?.[1] as string), / cursor=(\S+)/.exec(text)?.[1]);
      }
    },
  );

  // Resolves with how the stream ended.
  (async (): Promise<Failure> => {
    link.wait();
    const response = await send(link, linkUrl(link, 'sse'), {
      signal: abort.signal,
      headers: { accept: 'text/event-stream' },
    });
    // The head came: from here the opening must follow, and an error answer's body (read before
    // the attempt ends) is bounded by the same clock.
    link.wait(true);
    if (!response.ok || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
      return failureOf(response);
    }
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      link.beat();
      decode(value);
    }
    return notice
      ? { code: toClientCode(notice.code), retryMs: notice.retryMs, message: `${notice.code}` }
      : { message: 'ended' };
  })()
    .catch(() => NETWORK)
    .then((failure) => {
      // Closed from the connection meanwhile: nothing to say.
      if (done) return;
      done = true;
      abort.abort();
      link.fail(failure);
    });

  return {
    close() {
      done = true;
      abort.abort();
    },
  };
};
