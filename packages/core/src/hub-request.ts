/**
 * The parts of an HTTP request the hub reads. A Fetch `Request` is one; the Node bridge passes a
 * lighter view instead, because building an undici `Request` (URL, Headers, AbortController) for
 * every poll costs more than answering it.
 */
export interface HubRequest {
  /** `GET`, `POST`, … */
  readonly method: string;
  /** The absolute URL, e.g. `http://localhost:3000/realtime/poll?topics=a`. */
  readonly url: string;
  /** Header lookup by name (any case), with repeated headers joined as `Headers.get` joins them. */
  readonly headers: { get(name: string): string | null };
  /** Aborts when the client goes away before the answer is complete. Read by long polls and streams only. */
  readonly signal: AbortSignal;
  /** The body stream; read by `publish` only. */
  readonly body: ReadableStream<Uint8Array> | null;
}

/**
 * A finished answer that is not a stream (every JSON answer of the protocol), as plain data so a
 * bridge can write it without building a `Response`.
 */
export interface HubAnswer {
  /** HTTP status. */
  readonly status: number;
  /** Header names in lower case; `content-length` is left to the writer. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body text (JSON). */
  readonly body: string;
}
