import type { Client } from '@tidings/client';
import type { Topics } from './scores.ts';

/** What the feed says about its connection. */
export type FeedStatus = 'connecting…' | 'live' | 'reconnecting…' | 'offline';

/** Options of `createFeedView`. */
export interface FeedViewOptions {
  /** Scores kept on screen, newest last. Default 20. */
  maxLines?: number;
}

/**
 * The scoreboard's feed, DOM-free so a test can drive it with a real client: a status line and the
 * latest scores. The page (src/page.ts) renders it; tests read `text()`.
 */
export interface FeedView {
  readonly status: FeedStatus;
  /** The scores shown, oldest first, as `Red 3`. */
  readonly lines: readonly string[];
  /** The status line, then one line per score. */
  text(): string;
  /** Calls `listener` after every change; returns the function that stops it. */
  onChange(listener: () => void): () => void;
  /** Stops listening to the client. */
  close(): void;
}

/** Creates the feed of `client`: it subscribes to `scores` and follows the client's connection. */
export function createFeedView(client: Client<Topics>, options: FeedViewOptions = {}): FeedView {
  const maxLines = options.maxLines ?? 20;
  let status: FeedStatus = client.status === 'open' ? 'live' : 'connecting…';
  let lines: string[] = [];
  const listeners = new Set<() => void>();
  const set = (next: FeedStatus) => {
    status = next;
    for (const listener of [...listeners]) listener();
  };
  const stops = [
    client.on('open', () => set('live')),
    client.on('reconnecting', () => set('reconnecting…')),
    client.on('closed', () => set('offline')),
    // The server could not replay everything: what is shown may be stale, so it goes.
    client.on('reset', () => {
      lines = [];
      set(status);
    }),
    client.subscribe('scores', (score) => {
      lines = [...lines, `${score.team} ${score.points}`].slice(-maxLines);
      set(status);
    }),
  ];
  return {
    get status() {
      return status;
    },
    get lines() {
      return lines;
    },
    text: () => [status, ...lines].join('\n'),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      for (const stop of stops) stop();
      listeners.clear();
    },
  };
}
