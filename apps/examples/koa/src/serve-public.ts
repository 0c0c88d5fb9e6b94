import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Middleware } from 'koa';

// A fixed list rather than a directory walk: the demo serves three files and nothing else, so no
// request path ever reaches the file system.
const FILES: Record<string, { name: string; type: string }> = {
  '/': { name: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { name: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { name: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { name: 'style.css', type: 'text/css; charset=utf-8' },
};

/** Serves the demo page from `dir`; every other request goes on to `next()`. */
export function servePublic(dir: string): Middleware {
  return async (ctx, next) => {
    const file = ctx.method === 'GET' || ctx.method === 'HEAD' ? FILES[ctx.path] : undefined;
    if (!file) return next();
    ctx.type = file.type;
    ctx.set('cache-control', 'no-cache');
    ctx.body = await readFile(join(dir, file.name));
  };
}
