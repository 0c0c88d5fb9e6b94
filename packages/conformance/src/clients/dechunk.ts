/**
 * Decodes an HTTP/1.1 chunked body (RFC 9112 section 7.1) as far as it is complete. Returns the
 * payload bytes and whether the terminating zero-size chunk was seen.
 */
export function dechunk(body: Buffer): { data: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd === -1) return { data: Buffer.concat(parts), complete: false };
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (Number.isNaN(size)) return { data: Buffer.concat(parts), complete: false };
    if (size === 0) return { data: Buffer.concat(parts), complete: true };
    const start = lineEnd + 2;
    if (body.length < start + size) {
      parts.push(body.subarray(start));
      return { data: Buffer.concat(parts), complete: false };
    }
    parts.push(body.subarray(start, start + size));
    offset = start + size + 2;
  }
}
