import { type ErrorInfo, TidingsError, toTidingsError } from '../errors.ts';
import type { HubAnswer, HubRequest } from '../hub-request.ts';
import { ERROR_CODES } from '../protocol/codes.ts';

const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
};

/** A JSON answer from already-serialised text. The common case shares one headers object. */
export function jsonAnswer(status: number, body: string, extra?: Record<string, string>): HubAnswer {
  return { status, headers: extra ? { ...JSON_HEADERS, ...extra } : JSON_HEADERS, body };
}

/** A HubAnswer as a Fetch `Response`. */
export function toResponse(answer: HubAnswer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/** The request's URL, parsed; a malformed one (a bad `Host` header on Node) is the client's error. */
export function requestUrl(request: HubRequest): URL {
  try {
    return new URL(request.url);
  } catch {
    throw new TidingsError('bad_request', 'malformed request URL');
  }
}

/** The protocol's error answer for a TidingsError (of any copy of the package: read by shape). */
export function errorAnswerOf(error: TidingsError): HubAnswer {
  const headers: Record<string, string> = {};
  // Retry-After is whole seconds (RFC 9110 10.2.3): round up, so a client never comes back early.
  if (error.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(error.retryAfterMs / 1000));
  if (error.code === 'method_not_allowed') headers.allow = error.message.replace(/^use /, '');
  return jsonAnswer(
    ERROR_CODES[error.code].status,
    JSON.stringify({ error: { code: error.code, message: error.message, topics: error.topics } }),
    headers,
  );
}

/**
 * Turns anything thrown while answering a route into the protocol's error answer. Unknown errors
 * become a generic 500 (their message may hold internals) and are reported through `onError`.
 */
export function errorAnswer(
  error: unknown,
  route: string | undefined,
  report: ((error: unknown, info: ErrorInfo) => void) | undefined,
): HubAnswer {
  const info: ErrorInfo = route === undefined ? { stage: 'internal' } : { stage: 'internal', route };
  return errorAnswerOf(toTidingsError(error, info, report));
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
