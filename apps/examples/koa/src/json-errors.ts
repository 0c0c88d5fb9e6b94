import { STATUS_CODES } from 'node:http';
import type { Middleware } from 'koa';

/** The JSON error every route of this app answers with, in the shape of tidings' own. */
export interface ErrorBody {
  error: { code: string; message: string };
}

// Codes for the client errors a Koa app's parsers and routes raise, named as in tidings' table
// (docs/protocol.md) where it has one.
const CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

type Thrown = Error & { status?: unknown; statusCode?: unknown; expose?: unknown; code?: unknown };

/**
 * What a thrown error means for the client: its own 4xx (http-errors from the body parser or
 * `ctx.throw`), a 400 for a body that does not decompress (zlib throws those without a status),
 * and a 500 for anything else, whose message may hold internals and is never sent.
 */
function toAnswer(error: unknown, encoding: string | undefined): { status: number; body: ErrorBody } {
  const e = (error ?? {}) as Thrown;
  const status = Number(e.status ?? e.statusCode);
  if (Number.isInteger(status) && status >= 400 && status < 500) {
    // The JSON parser's SyntaxError carries a 400 but no `expose`: its message quotes the body.
    const message =
      e instanceof SyntaxError
        ? 'request body is not valid JSON'
        : e.expose === true && e.message
          ? e.message
          : (STATUS_CODES[status] ?? 'client error');
    return { status, body: { error: { code: CODES[status] ?? 'bad_request', message } } };
  }
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
    const message = `request body is not valid ${encoding ?? 'compressed'} data`;
    return { status: 400, body: { error: { code: 'bad_request', message } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
}

/**
 * Answers every error thrown below it as JSON: client mistakes (a body that is not JSON, too large,
 * garbage under `Content-Encoding: gzip`) get their 4xx, anything else a 500 that says nothing of
 * the cause, which goes to the app's `error` event instead. Put it first, before the body parser.
 */
export function jsonErrors(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      // An answer already under way (a stream) cannot change its status: let Koa end it.
      if (ctx.headerSent || !ctx.writable) throw error;
      const { status, body } = toAnswer(error, ctx.get('content-encoding') || undefined);
      ctx.status = status;
      ctx.set('cache-control', 'no-store');
      ctx.body = body;
      if (status >= 500) ctx.app.emit('error', error, ctx);
    }
  };
}
