import { createSseParser, type SseMessage } from '@tidings/core/protocol';
import { Inbox } from './inbox.ts';

/** What an SSE stream delivered, in arrival order. */
export type SseItem =
  | { kind: 'event'; message: SseMessage }
  | { kind: 'comment'; text: string }
  | { kind: 'retry'; ms: number };

/** A stream opened with `fetch`, parsed with the protocol's own SSE parser. */
export interface SseStream {
  response: Response;
  inbox: Inbox<SseItem>;
  /** Every dispatched event so far. */
  events(): SseMessage[];
  /** Events whose name is `message` or a custom name, i.e. everything but reset/close/unsubscribed, parsed as envelopes. */
  envelopes(): { id: string; topic: string; event: string; data: unknown }[];
  /** Waits for `count` envelopes in total. */
  waitForEnvelopes(count: number, timeoutMs?: number): Promise<{ id: string; data: unknown }[]>;
  /** Waits for an event named `name` (e.g. `reset`, `close`). */
  waitForEvent(name: string, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

const CONTROL = new Set(['reset', 'close', 'unsubscribed']);

/**
 * Opens `GET url` as an event stream. Resolves once the status and headers are in (whatever the
 * status: a refusal is a normal answer to inspect); the body is read in the background.
 */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const inbox = new Inbox<SseItem>();
  const parser = createSseParser({
    onEvent: (message) => inbox.push({ kind: 'event', message }),
    onComment: (text) => inbox.push({ kind: 'comment', text }),
    onRetry: (ms) => inbox.push({ kind: 'retry', ms }),
  });
  const ok = response.ok && (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
  if (ok && response.body) {
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          parser.push(decoder.decode(chunk, { stream: true }));
        }
      } catch {
        // Aborted by close() or the connection broke: either way the stream is over.
      }
      inbox.end();
    })();
  } else {
    inbox.end();
  }
  const events = () => inbox.items.flatMap((item) => (item.kind === 'event' ? [item.message] : []));
  const envelopes = () => events().flatMap((m) => (CONTROL.has(m.event) ? [] : [JSON.parse(m.data)]));
  return {
    response,
    inbox,
    events,
    envelopes,
    async waitForEnvelopes(count, timeoutMs) {
      await inbox.until(() => envelopes().length >= count, `${count} SSE events`, timeoutMs);
      return envelopes();
    },
    async waitForEvent(name, timeoutMs) {
      await inbox.until(() => events().some((m) => m.event === name), `SSE event "${name}"`, timeoutMs);
      return events().find((m) => m.event === name)!;
    },
    close() {
      controller.abort();
    },
  };
}
