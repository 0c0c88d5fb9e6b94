import type { DrizzleExecutor, PgQueryable, PgResult } from '../postgres-client.ts';

/** Runs one parameterised statement (`$1`, `$2`… placeholders). */
export type Executor = (text: string, values: unknown[]) => Promise<PgResult>;

/**
 * The executor for the app's transaction handle: a `pg` client (anything with `query`), or a
 * Drizzle transaction over node-postgres, run through Drizzle's own `sql` tag (imported on first
 * use, so apps without Drizzle never load it). Anything else is a TypeError.
 */
export function toExecutor(tx: unknown): Executor {
  if (typeof (tx as PgQueryable | undefined)?.query === 'function') {
    const client = tx as PgQueryable;
    return (text, values) => client.query(text, values);
  }
  if (typeof (tx as DrizzleExecutor | undefined)?.execute === 'function') {
    const db = tx as DrizzleExecutor;
    return async (text, values) => {
      const { sql } = await import('drizzle-orm');
      // The statement's text split at its placeholders: Drizzle binds each value as a parameter.
      const parts = text.split(/\$(\d+)/);
      const strings: string[] = [];
      const params: unknown[] = [];
      for (let i = 0; i < parts.length; i += 2) {
        strings.push(parts[i]!);
        if (i + 1 < parts.length) params.push(values[Number(parts[i + 1]) - 1]);
      }
      const template = Object.assign(strings, { raw: strings }) as unknown as TemplateStringsArray;
      return (await db.execute(sql(template, ...params))) as PgResult;
    };
  }
  throw new TypeError('tx must be a pg client (with query) or a Drizzle transaction (with execute)');
}
