/**
 * Bytes in, events out: the part of the WHATWG event-stream format a tidings server speaks, with
 * chunks split anywhere (a character's bytes included: the UTF-8 decoder runs in streaming mode).
 * Lines end with LF, CRLF or CR; after a chunk that ends with a CR, an LF that starts the next one
 * is the rest of that CRLF, not an empty line. `data:` lines join with LF, `event:` names the
 * event, comments are handed over (to `onEvent` and `onComment`: plain arguments, which the minifier
 * renames). `id:` and `retry:` are not needed (the envelope carries its id, the client schedules
 * its own reconnects). Smaller than the full parser of `@tidings/core/protocol`, which the client's
 * size budget cannot hold.
 */
export function createSseDecoder(
  onEvent: (event: string, data: string) => void,
  onComment: (text: string) => void,
): (chunk: Uint8Array) => void {
  // `ignoreBOM`, and one leading BOM dropped here: Node's streaming decoder drops a second BOM too
  // when the first arrives split across chunks, and WHATWG drops exactly one.
  const text = new TextDecoder('utf-8', { ignoreBOM: true });
  // What to drop at the start of the next text: that one BOM, then the LF of a CRLF whose CR ended
  // the text before.
  let skip = '\ufeff';
  let buffer = '';
  let event = '';
  // The `data:` lines of the event so far; none: nothing to dispatch.
  let data: string[] = [];
  return (chunk) => {
    let part = text.decode(chunk, { stream: true });
    // An empty decode (a lone partial UTF-8 sequence) must not forget a pending CR.
    if (!part) return;
    if (part[0] === skip) part = part.slice(1);
    skip = part.endsWith('\r') ? '\n' : '';
    const lines = (buffer + part).split(/\r\n?|\n/);
    buffer = lines.pop()!;
    for (const line of lines) {
      if (!line) {
        if (data.length) onEvent(event || 'message', data.join('\n'));
        event = '';
        data = [];
      } else if (line[0] === ':') onComment(line.slice(1).trimStart());
      else {
        // `s`: a value may hold U+2028, which `.` does not match without it.
        const [, name, value] = /([^:]*):? ?(.*)/s.exec(line)!;
        if (name === 'data') data.push(value!);
        else if (name === 'event') event = value!;
      }
    }
  };
}
