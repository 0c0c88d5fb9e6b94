/**
 * The one error class of the client. `code` is a protocol error code (`unauthorized`, `forbidden`,
 * `rate_limited`, …) or one of the client's own: `network` (no answer from the server),
 * `disconnected` (a WebSocket publish lost its connection before the ack), `closed` (the client was
 * closed), `bad_response` (an answer that does not follow the protocol).
 */
export class ClientError extends Error {
  /** Machine-readable reason. */
  readonly code: string;
  /** The HTTP status, when the error came from an HTTP answer. */
  readonly status: number | undefined;

  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = 'ClientError';
    this.code = code;
    this.status = status;
  }
}
