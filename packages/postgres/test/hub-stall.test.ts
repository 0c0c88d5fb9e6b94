import { createHub } from '@tidings/core';
import { createSseParser } from '@tidings/core/protocol';
import { serve } from '@tidings/node';
import { createTcpFaultProxy, type TcpFaultProxy } from '@tidings/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresBroker, type PostgresBroker } from '../src/index.ts';
import { dropSchemas, uniqueSchema, useSharedPg } from './helpers/shared-pg.ts';
import { sleep, waitFor } from './helpers/wait-for.ts';

// What a caller of the hub sees while PostgreSQL stops answering (a proxy that holds every byte, a
// partition nobody is told of): `POST /realtime/publish` is refused with 503 `unavailable` and the
// broker's Retry-After within commandTimeoutMs (plus a generous slack, never a tight time), and once
// PostgreSQL answers again publishes are taken and a subscriber of that hub gets them.
const db = useSharedPg();
const COMMAND_TIMEOUT_MS = 1000;
const SLACK_MS = 4000;
const BROKER_RETRY_AFTER_MS = 3000;
const HUB_RETRY_AFTER_MS = 7000;

const cleanups: (() => Promise<void> | void)[] = [];
let proxy: TcpFaultProxy | undefined;

afterEach(async () => {
  // Heal first, so a test that failed mid-stall does not leave its clean-up waiting on held bytes.
  proxy?.heal();
  proxy = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { id?: string; error?: { code: string } };
  ms: number;
}

/** `POST {base}/publish`, given up on (a failure of the test) after the bound plus the slack. */
async function post(base: string, data: unknown): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${base}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic: 't', data }),
    signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS + SLACK_MS),
  });
  const body = (await response.json()) as Answer['body'];
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body,
    ms: performance.now() - started,
  };
}

/** An SSE subscriber of topic `t`: the data of each event, and `reset` for a reset. */
function subscribe(base: string): { seen: unknown[]; ids: string[]; opened: Promise<void> } {
  const seen: unknown[] = [];
  const ids: string[] = [];
  const abort = new AbortController();
  cleanups.push(() => abort.abort());
  let markOpen!: () => void;
  const opened = new Promise<void>((resolve) => {
    markOpen = resolve;
  });
  const parser = createSseParser({
    onComment: () => markOpen(),
    onEvent: (message) => {
      if (message.event === 'reset') seen.push('reset');
      else if (message.event !== 'close') {
        seen.push(JSON.parse(message.data).data);
        ids.push(message.id);
      }
    },
  });
  void (async () => {
    const response = await fetch(`${base}/sse?topics=t`, { signal: abort.signal });
    const decoder = new TextDecoder();
    for await (const chunk of response.body!)
      parser.push(decoder.decode(chunk as Uint8Array, { stream: true }));
  })().catch(() => {});
  return { seen, ids, opened };
}

describe('a hub on a stalled PostgreSQL', () => {
  it('answers POST /publish with 503 unavailable and Retry-After within commandTimeoutMs; publishes and delivery resume after', async () => {
    const started = await createTcpFaultProxy({ port: Number(new URL(db.url()).port), scheme: 'postgres' });
    proxy = started;
    cleanups.push(() => started.close());
    // A pool without its own query_timeout: only the broker's commandTimeoutMs can end a call.
    const pool = new pg.Pool({ connectionString: `${started.url}/postgres?user=postgres`, keepAlive: true });
    pool.on('error', () => {});
    cleanups.push(() => pool.end());
    const schema = uniqueSchema();
    cleanups.push(() => dropSchemas(db.url(), [schema]));
    const broker: PostgresBroker = await createPostgresBroker({
      pool,
      schema,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      healthCheckMs: 200,
      catchUpRetryMs: 100,
      retryAfterMs: BROKER_RETRY_AFTER_MS,
      onError: () => {},
    });
    cleanups.push(() => broker.close());
    const hub = createHub({
      anonymous: true,
      authorize: () => true,
      broker,
      retryAfterMs: HUB_RETRY_AFTER_MS,
      drainTimeoutMs: 200,
    });
    const served = await serve(hub, { port: 0 });
    cleanups.push(() => served.close());

    const subscriber = subscribe(served.url);
    await subscriber.opened;
    expect((await post(served.url, 'before')).status).toBe(202);
    await waitFor(() => subscriber.seen.length === 1, 'the first event');

    started.stall();
    const refused = await post(served.url, 'during');
    expect(refused.status).toBe(503);
    expect(refused.body.error?.code).toBe('unavailable');
    // The broker's Retry-After (whole seconds), not the hub's own.
    expect(refused.retryAfter).toBe(String(BROKER_RETRY_AFTER_MS / 1000));
    expect(refused.ms).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
    // Once the health check has noticed, a publish is refused without waiting for the bound.
    await sleep(COMMAND_TIMEOUT_MS * 2);
    const fast = await post(served.url, 'during, noticed');
    expect([fast.status, fast.body.error?.code, fast.retryAfter]).toEqual([503, 'unavailable', '3']);
    expect(fast.ms).toBeLessThan(COMMAND_TIMEOUT_MS);

    started.heal();
    let back: Answer | undefined;
    for (let i = 0; i < 100 && back?.status !== 202; i++) {
      back = await post(served.url, 'back');
      if (back.status !== 202) await sleep(50);
    }
    expect(back?.status).toBe(202);
    expect((await post(served.url, 'after')).status).toBe(202);
    await waitFor(
      () => subscriber.seen.at(-1) === 'after',
      'the subscriber to get the events published after',
      8000,
    );
    // A refused publish may still have been stored once the bytes flowed again: then it is
    // delivered, in order. Nothing is reset and nothing accepted is missing.
    const seen = subscriber.seen;
    expect(seen).not.toContain('reset');
    expect(seen[0]).toBe('before');
    expect(seen.at(-1)).toBe('after');
    expect(
      seen.every((d) => ['before', 'during', 'during, noticed', 'back', 'after'].includes(d as string)),
    ).toBe(true);
    expect(subscriber.ids).toContain(back?.body.id);
    const seqs = subscriber.ids.map((id) => Number(id.split('-').at(-1)));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
  }, 30_000);
});
