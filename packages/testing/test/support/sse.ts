import { until } from './until.ts';

/** An SSE stream read with fetch, its text gathered as it arrives. */
export interface SseStream {
  readonly response: Response;
  /** The body text so far. */
  readonly text: string;
  /** How the body ended: undefined while open, else the error (or 'done'). */
  readonly ended: unknown;
  /** Waits until the text contains `part`. */
  waitFor(part: string, timeoutMs?: number): Promise<void>;
  close(): void;
}

export async function openSse(url: string): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  let text = '';
  let ended: unknown;
  const decoder = new TextDecoder();
  void (async () => {
    const reader = response.body!.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      ended = 'done';
    } catch (error) {
      ended = error;
    }
  })();
  return {
    response,
    get text() {
      return text;
    },
    get ended() {
      return ended;
    },
    waitFor: (part, timeoutMs) => until(() => text.includes(part), `"${part}" on the SSE stream`, timeoutMs),
    close: () => controller.abort(),
  };
}

/**
 * The ids of the events in an SSE text, in order: `id:` lines of blocks that carry data (the
 * opening block of a stream without a cursor has an `id:` line and no event).
 */
export function sseIds(text: string): string[] {
  return [...text.matchAll(/^id: (.+)\n(?:event: .*\n)?data: /gm)].map((m) => m[1]!);
}
