import { createSseParser, type SseMessage } from '../../src/protocol/index.ts';

/** Everything an SSE stream has said so far, parsed. */
export interface SseLog {
  events: SseMessage[];
  comments: string[];
  retries: number[];
  /** The raw text received. */
  text: string;
  /** True once the server ended the stream. */
  done: boolean;
}

/** A reader pumping an SSE Response body into a log; `cancel()` goes away like a closed tab. */
export interface SseReader extends SseLog {
  cancel(): Promise<void>;
}

/**
 * Reads a Response body continuously (so the stream never backs up) and parses it with the
 * protocol's own SSE parser. Reads resolve on microtasks, so fake timers do not stall it.
 */
export function readSse(response: Response): SseReader {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const log: SseReader = {
    events: [],
    comments: [],
    retries: [],
    text: '',
    done: false,
    cancel: () => reader.cancel(),
  };
  const parser = createSseParser({
    onEvent: (message) => log.events.push(message),
    onComment: (text) => log.comments.push(text),
    onRetry: (ms) => log.retries.push(ms),
  });
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        log.text += text;
        parser.push(text);
      }
    } catch {
      // A cancelled reader rejects its pending read; the log is what was read until then.
    }
    log.done = true;
  })();
  return log;
}

/** Parses an SSE text given in chunks, each pushed to one fresh parser in turn. */
export function parseSseChunks(chunks: readonly string[]): SseLog {
  const log: SseLog = { events: [], comments: [], retries: [], text: chunks.join(''), done: true };
  const parser = createSseParser({
    onEvent: (message) => log.events.push(message),
    onComment: (comment) => log.comments.push(comment),
    onRetry: (ms) => log.retries.push(ms),
  });
  for (const chunk of chunks) parser.push(chunk);
  return log;
}

/** Parses a complete SSE text in one go. */
export function parseSse(text: string): SseLog {
  return parseSseChunks([text]);
}
