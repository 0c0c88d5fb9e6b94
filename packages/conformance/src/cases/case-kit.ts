import { it } from 'vitest';
import { eventually } from '../clients/inbox.ts';
import type { Harness } from '../harness.ts';

/** Upper bound of one case; every wait inside is bounded well below it. */
export const CASE_TIMEOUT_MS = 20_000;

/** `it` with the suite's bound. */
export function spec(name: string, fn: () => Promise<void>): void {
  it(name, fn, CASE_TIMEOUT_MS);
}

/** Parses a JSON error answer and returns its code. */
export async function errorCode(response: Response): Promise<string | undefined> {
  const text = await response.text();
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

/** A cursor of an epoch no server ever issues (valid syntax, foreign log). */
export const FOREIGN_CURSOR = 'zzzzforeign0-3';

/** The epoch part of an id. */
export function epochOf(id: string): string {
  return id.slice(0, id.lastIndexOf('-'));
}

/** The sequence part of an id. */
export function seqOf(id: string): number {
  return Number(id.slice(id.lastIndexOf('-') + 1));
}

/**
 * Waits until the server holds no connection (read from its stats): the case before may still be
 * closing its own, and a case that fills the limits must start from an empty server.
 */
export async function serverIdle(h: Harness, timeoutMs?: number): Promise<void> {
  await eventually(
    async () => ((await h.server.stats()).connections.total === 0 ? true : undefined),
    'the server to hold no connection',
    timeoutMs,
  );
}
