import type { CloseNotice } from '@tidings/core/protocol';
import type { Failure } from '../decide.ts';
import { failureOf, send } from '../http.ts';
import type { Opener } from '../link.ts';
import { createSseDecoder } from '../sse-decoder.ts';

/**
 * Server-Sent Events over fetch streaming, so the token travels in the Authorization header (the
 * native EventSource can only put it in the URL). The server's opening comment goes out at once; a
 * stream whose first bytes do not come within `openTimeoutMs` is being held by something in between.
 */
export const openSse: Opener = (link) => {
  const o = link.options;
  const abort = new AbortController();
  const signal = abort.signal;
  const topics = `${link.topics}`;
  let opened = false;
  let notice: CloseNotice | undefined;
  const fail = (failure: Failure): void => {
    clearTimeout(timer);
    abort.abort();
    link.failed(failure);
  };
  const timer = setTimeout(
    () => fail({ silent: true, message: `no SSE bytes within ${o.openTimeoutMs} ms (a buffering proxy?)` }),
    o.openTimeoutMs,
  );
  const decode = createSseDecoder({
    onEvent({ event, data }) {
      const value = JSON.parse(data);
      if (event === 'reset') link.reset(value.cursor);
      else if (event === 'close') notice = value;
      else link.event(value);
    },
  });

  (async () => {
    // Without a cursor the stream would start "now" and a reconnect could not resume from before
    // the first event: take the head first, so the very first gap is covered too.
    if (!link.getCursor()) {
      const head = await send(o, link.token, 'poll', { topics }, { signal });
      if (!head.ok) return fail(await failureOf(head));
      link.setCursor((await head.json()).cursor);
    }
    const response = await send(
      o,
      link.token,
      'sse',
      { topics, cursor: link.getCursor() },
      { signal, headers: { accept: 'text/event-stream' } },
    );
    if (!response.ok || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
      return fail(await failureOf(response));
    }
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!opened) {
        opened = true;
        clearTimeout(timer);
        link.opened();
      }
      decode(value);
    }
    fail(
      notice
        ? { opened, code: notice.code, retryMs: notice.retryMs, message: `stream closed: ${notice.code}` }
        : { opened, message: 'stream ended' },
    );
  })().catch(() => fail({ opened, network: true, message: 'network error' }));

  return {
    close() {
      clearTimeout(timer);
      abort.abort();
    },
  };
};
