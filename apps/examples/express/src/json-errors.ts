import type { ErrorRequestHandler } from 'express';

/** What `http-errors` (and so `express.json()`) puts on the errors it throws. */
interface HttpError {
  status?: unknown;
  expose?: unknown;
  message?: unknown;
}

/**
 * The app's last middleware: an error from its own routes or from `express.json()` (a body that is
 * not JSON, or over the limit) is answered `{"error": "…"}` with the error's status, where Express
 * alone would answer an HTML page with a stack trace. A client error (4xx the error marks as safe
 * to show) keeps its message; anything else is a 500 whose details stay in the server's log.
 * tidings' own routes never get here: they answer their errors themselves (docs/protocol.md).
 */
export function jsonErrors(): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    // Too late to answer: Express's own handler ends the connection.
    if (res.headersSent) {
      next(error);
      return;
    }
    const { status, expose, message } = (error ?? {}) as HttpError;
    if (typeof status === 'number' && status >= 400 && status < 500 && expose === true) {
      res.status(status).json({ error: String(message) });
      return;
    }
    console.error(error);
    res.status(500).json({ error: 'internal error' });
  };
}
