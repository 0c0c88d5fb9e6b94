import { Inbox } from './inbox.ts';

/** A streaming answer read as raw text, for byte-exact framing checks. */
export interface TextStream {
  response: Response;
  /** Decoded chunks as they arrive; ends with the body. */
  chunks: Inbox<string>;
  text(): string;
  /** Waits until the text so far contains `needle`. */
  waitForText(needle: string | RegExp, timeoutMs?: number): Promise<string>;
  close(): void;
}

/** Fetches `url` and reads its body as text in the background. */
export async function openTextStream(url: string, headers: Record<string, string> = {}): Promise<TextStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const chunks = new Inbox<string>();
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        chunks.push(decoder.decode(chunk, { stream: true }));
      }
    } catch {
      // Closed by us or by the server.
    }
    chunks.end();
  })();
  const text = () => chunks.items.join('');
  return {
    response,
    chunks,
    text,
    async waitForText(needle, timeoutMs) {
      const has = () => (typeof needle === 'string' ? text().includes(needle) : needle.test(text()));
      await chunks.until(has, `text matching ${String(needle)}`, timeoutMs);
      return text();
    },
    close: () => controller.abort(),
  };
}
