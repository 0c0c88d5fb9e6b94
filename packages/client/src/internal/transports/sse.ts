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
  let done = false;
  let notice: CloseNotice | undefined;
  const decode = createSseDecoder(
    (event, data) => {
      const value = JSON.parse(data);
      if (event === 'close') notice = value;
      else link[event === 'reset' ? event : 'event'](value);
    },
    // `open heartbeat=15000 cursor=<head>` (older servers: `open`). Opening twice changes nothing.
    (text) => {
      // Without a heartbeat the interval is NaN, which watches nothing, as 0 would.
      if (text.startsWith('open')) {
        link.open(Number(/heartbeat=(\d+)/.exec(text)?.[1]), undefined, / cursor=(\S+)/.exec(text)?.[1]);
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
