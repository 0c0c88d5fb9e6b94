import { TidingsError } from '../errors.ts';
import type { HubAnswer, HubRequest } from '../hub-request.ts';

const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
};

/**
 * JSON answers carry their body text under this symbol too, so a bridge that has a faster way to
 * write a string (Node's `res.end`) can skip reading the Response body stream. Registered with
 * `Symbol.for` so it matches across copies of the package.
 */
export const RESPONSE_TEXT: unique symbol = Symbol.for('tidings.response-text') as never;

/** A JSON answer from already-serialised text. The common case shares one headers object. */
export function jsonAnswer(status: number, body: string, extra?: Record<string, string>): HubAnswer {
  return { status, headers: extra ? { ...JSON_HEADERS, ...extra } : JSON_HEADERS, body };
}

/** A HubAnswer as a Fetch `Response`, carrying its text under RESPONSE_TEXT. */
export function toResponse(answer: HubAnswer): Response {
  const response = new Response(answer.body, { status: answer.status, headers: answer.headers });
  (response as Response & { [RESPONSE_TEXT]?: string })[RESPONSE_TEXT] = answer.body;
  return response;
}

/** The request's URL, parsed; a malformed one (a bad `Host` header on Node) is the client's error. */
export function requestUrl(request: HubRequest): URL {
  try {
    return new URL(request.url);
  } catch {
    throw new TidingsError('bad_request', 'malformed request URL');
  }
}

/**
 * Turns anything thrown while handling a request into the protocol's error answer. Unknown errors
 * become a generic 500 (their message may hold internals) and are reported through `onError`.
 */
export function errorAnswer(error: unknown, onError?: (error: unknown) => void): HubAnswer {
  const e = error instanceof TidingsError ? error : new TidingsError('internal', 'internal error');
  if (!(error instanceof TidingsError)) onError?.(error);
  const headers: Record<string, string> = {};
  if (e.retryAfterS !== undefined) headers['retry-after'] = String(e.retryAfterS);
  if (e.code === 'method_not_allowed') headers.allow = e.message.replace(/^use /, '');
  return jsonAnswer(e.status, JSON.stringify({ error: { code: e.code, message: e.message } }), headers);
}

/**
 * Reads a request body as text, refusing more than `maxBytes` without reading further (a declared
 * Content-Length is checked first). A body that breaks off (a truncated chunked upload) is a 400.
 */
export async function readBody(request: HubRequest, maxBytes: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) {
    throw new TidingsError('payload_too_large', `body over ${maxBytes} bytes`);
  }
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        void reader.cancel().catch(() => {});
        throw new TidingsError('payload_too_large', `body over ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof TidingsError) throw error;
    throw new TidingsError('bad_request', 'request body was cut off');
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new TidingsError('bad_request', 'body is not valid UTF-8');
  }
}
