/**
 * The size of a binary WebSocket message as the runtimes deliver it: an ArrayBuffer (workerd,
 * Deno), a Buffer or other view (Bun), or a Blob (a `binaryType` of `'blob'`). Undefined for
 * anything else, which the hub then refuses without a size check.
 */
export function byteLengthOf(data: unknown): number | undefined {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  if (typeof Blob !== 'undefined' && data instanceof Blob) return data.size;
  return undefined;
}
