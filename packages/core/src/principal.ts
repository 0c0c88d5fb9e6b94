/** Who is on the other end of a connection, as authentication established it. */
export interface Principal {
  /** A stable user id; per-user connection limits count by it. Undefined for anonymous clients. */
  id?: string;
  /** When the credential stops being valid, in ms since the epoch; the connection is closed then. */
  expiresAt?: number;
  /** Verified claims or any app data, passed to `authorize`. */
  claims?: Record<string, unknown>;
}

/** What a principal wants to do on a topic. */
export type TopicAction = 'subscribe' | 'publish';
