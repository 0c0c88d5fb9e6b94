import type { SseMessage } from '../../src/protocol/index.ts';

/** What an event stream says, as a parser reports it. */
export interface SseOutcome {
  events: SseMessage[];
  comments: string[];
  retries: number[];
}

/**
 * A second, deliberately plain reading of WHATWG HTML's "interpreting an event stream", used as
 * the oracle for the incremental parser: the whole text at once, lines split with one regular
 * expression, the steps in the spec's order. Nothing here is shared with `createSseParser`.
 *
 * `bom`: `'strip'` skips one leading U+FEFF, as `createSseParser` documents for the text it is
 * given; `'keep'` skips none, for text that came out of a UTF-8 decode (which already removed one).
 */
export function interpretSse(text: string, bom: 'strip' | 'keep'): SseOutcome {
  const outcome: SseOutcome = { events: [], comments: [], retries: [] };
  const body = bom === 'strip' && text.startsWith('\ufeff') ? text.slice(1) : text;
  const lines = body.split(/\r\n|\r|\n/);
  // The piece after the last line end is not a line yet: the stream may go on.
  lines.pop();
  let lastEventId = '';
  let data: string[] = [];
  let type = '';
  for (const line of lines) {
    if (line === '') {
      if (data.length > 0)
        outcome.events.push({ id: lastEventId, event: type || 'message', data: data.join('\n') });
      data = [];
      type = '';
      continue;
    }
    if (line[0] === ':') {
      outcome.comments.push(line.slice(1).startsWith(' ') ? line.slice(2) : line.slice(1));
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const raw = colon < 0 ? '' : line.slice(colon + 1);
    const value = raw.startsWith(' ') ? raw.slice(1) : raw;
    switch (name) {
      case 'event':
        type = value;
        break;
      case 'data':
        data.push(value);
        break;
      case 'id':
        if (!value.includes('\u0000')) lastEventId = value;
        break;
      case 'retry':
        if (value !== '' && [...value].every((c) => c >= '0' && c <= '9'))
          outcome.retries.push(Number(value));
        break;
    }
  }
  return outcome;
}
