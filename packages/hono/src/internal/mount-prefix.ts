import type { Context } from 'hono';

/**
 * The prefix Hono mounted the middleware under, from the pattern of the handler now running:
 * `app.use(mw)` runs as `/*` (no prefix), `app.use('/rt/*', mw)` or `app.route('/rt', sub)` as
 * `/rt/*`. Anything that is not a plain prefix pattern counts as none.
 */
export function mountPrefix(c: Context): string {
  const pattern = c.req.routePath;
  if (!pattern.endsWith('/*') || /[:*{]/.test(pattern.slice(0, -2))) return '';
  return pattern.slice(0, -2);
}
