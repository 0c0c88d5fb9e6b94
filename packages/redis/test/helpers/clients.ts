import { createSseParser } from '@tidings/core/protocol';
import { waitFor } from './wait-for.ts';

/** What a subscriber saw: an event (id, data) or a reset (cursor). */
export type Seen = { id: string; data: unknown } | { reset: string };

export const isEvent = (seen: Seen): seen is { id: string; data: unknown } => 'id' in seen;

/** A subscriber that collects what arrives and can be dropped at any moment. */
export interface Subscriber {
  readonly seen: Seen[];
  /** The last id or reset cursor received: where a resume starts. */
  cursor(): string | undefined;
  /** Resolves once the stream is open and subscribed. */
  readonly opened: Promise<void>;
  close(): void;
}

function cursorOf(seen: Seen[]): string | undefined {
  const last = seen.at(-1);
  return last === undefined ? undefined : 'id' in last ? last.id : last.reset;
}

/** An SSE stream read with fetch, parsed with the core's parser. */
export function openSse(base: string, topics: string, lastEventId?: string, into: Seen[] = []): Subscriber {
  const abort = new AbortController();
  const headers: Record<string, string> = lastEventId ? { 'last-event-id': lastEventId } : {};
  let markOpen: () => void;
  const opened = new Promise<void>((resolve) => {
    markOpen = resolve;
  });
  const parser = createSseParser({
    onComment: () => markOpen(),
    onEvent: (message) => {
      if (message.event === 'reset') into.push({ reset: JSON.parse(message.data).cursor });
      else if (message.event !== 'close') into.push({ id: message.id, data: JSON.parse(message.data).data });
    },
  });
  void (async () => {
    const response = await fetch(`${base}/sse?topics=${topics}`, { headers, signal: abort.signal });
    const decoder = new TextDecoder();
    for await (const chunk of response.body!)
      parser.push(decoder.decode(chunk as Uint8Array, { stream: true }));
  })().catch(() => {});
  return { seen: into, cursor: () => cursorOf(into), opened, close: () => abort.abort() };
}

/** A WebSocket (Node's global client) subscribed through the query string. */
export function openWs(base: string, topics: string, cursor?: string, into: Seen[] = []): Subscriber {
  const query = cursor ? `topics=${topics}&cursor=${cursor}` : `topics=${topics}`;
  const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws?${query}`);
  const opened = new Promise<void>((resolve) => {
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data));
      if (message.type === 'welcome') resolve();
      else if (message.type === 'event') into.push({ id: message.id, data: message.data });
      else if (message.type === 'reset') into.push({ reset: message.cursor });
    });
  });
  return { seen: into, cursor: () => cursorOf(into), opened, close: () => socket.close() };
}

/** One poll or long-poll request; returns the parsed answer. */
export async function poll(
  base: string,
  route: 'poll' | 'long-poll',
  topics: string,
  cursor?: string,
  timeoutS = 5,
): Promise<{ events: { id: string; data: unknown }[]; cursor: string; reset?: boolean }> {
  const query = new URLSearchParams({ topics, ...(cursor ? { cursor } : {}) });
  if (route === 'long-poll') query.set('timeout', String(timeoutS));
  const response = await fetch(`${base}/${route}?${query}`);
  if (response.status !== 200)
    throw new Error(`${route} answered ${response.status}: ${await response.text()}`);
  return response.json() as never;
}

/** Publishes over HTTP; resolves to the status and the JSON body. */
export async function publishHttp(
  base: string,
  topic: string,
  data: unknown,
): Promise<{ status: number; body: { id?: string; error?: { code: string } }; retryAfter: string | null }> {
  const response = await fetch(`${base}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic, data }),
  });
  return {
    status: response.status,
    body: (await response.json()) as never,
    retryAfter: response.headers.get('retry-after'),
  };
}

/** Waits until the subscriber has `count` events; returns their ids. */
export async function eventIds(subscriber: { seen: Seen[] }, count: number, what: string): Promise<string[]> {
  await waitFor(() => subscriber.seen.filter(isEvent).length >= count, `${count} events on ${what}`, 8000);
  return subscriber.seen.filter(isEvent).map((s) => s.id);
}
