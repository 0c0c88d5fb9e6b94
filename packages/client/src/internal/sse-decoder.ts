import { createSseParser, type SseParserHandlers } from '@tidings/core/protocol';

/**
 * Bytes in, events out. The UTF-8 decoder runs in streaming mode because a network chunk may end in
 * the middle of a character; the parser takes the text split anywhere.
 */
export function createSseDecoder(handlers: SseParserHandlers): (chunk: Uint8Array) => void {
  const text = new TextDecoder();
  const parser = createSseParser(handlers);
  return (chunk) => parser.push(text.decode(chunk, { stream: true }));
}
