import { createFaultProxy, type FaultProxy } from '@tidings/testing';
import { build } from 'esbuild';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type * as Tidings from '../../src/index.ts';
import { startServer, type TestServer, type TestServerOptions } from './server.ts';

declare global {
  interface Window {
    tidings: typeof Tidings;
    ready: boolean;
    client: Tidings.Client;
    /** Ids of the events the tab's client delivered, in order. */
    got: string[];
    /** Transports of the tab's `open` events, in order. */
    opened: string[];
    /** Every envelope the tab's client delivered through `on('event')`, in order. */
    events: Tidings.Envelope[];
    /** Every client event but `event`, with when it came (Date.now()). */
    log: { name: string; arg: unknown; at: number }[];
    /** Errors that subscriptions' `onError` got, as `topic:code`. */
    refused: string[];
  }
}

/**
 * The client bundled for the browser, from source, as an app would ship it: split where it imports
 * a module dynamically (the IndexedDB outbox of `persist`). Maps each file's path on the test server
 * to its code; the entry is `/client.js`, the chunks it loads sit beside it.
 */
export async function bundleClient(): Promise<Map<string, string>> {
  const result = await build({
    entryPoints: { client: new URL('../../src/index.ts', import.meta.url).pathname },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    outdir: 'out',
    write: false,
    logLevel: 'error',
  });
  return new Map(result.outputFiles.map((file) => [file.path.slice(file.path.lastIndexOf('/')), file.text]));
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>tidings client test</title>
<script type="module">
  import * as tidings from '/client.js';
  window.tidings = tidings;
  window.ready = true;
</script>`;

/** Debian's Chromium driven by playwright-core; nothing is downloaded. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Client options that can cross into the page (plain data, no functions). */
export type PageClientOptions = Partial<
  Omit<Tidings.ClientOptions, 'getToken' | 'random' | 'fetch' | 'WebSocket'>
>;

/** What a browser test file gets: the server (serving the page and the bundle), the context, and tabs. */
export interface BrowserHarness {
  readonly server: TestServer;
  /** The fault proxy the pages load through, when asked for (`useBrowser(…, { proxy: true })`). */
  readonly proxy: FaultProxy;
  readonly context: BrowserContext;
  /**
   * Opens a tab on the test page whose client records the ids it gets on `topics` in `window.got`,
   * every envelope in `window.events`, its events in `window.log`, refusals in `window.refused`.
   */
  tab(options: PageClientOptions, topics?: string[]): Promise<Page>;
}

/**
 * Starts a server, Chromium, and a fresh browser context per test; closes them all afterwards. With
 * `proxy`, pages load (and connect) through a fault proxy, healed and cleared after each test.
 */
export function useBrowser(
  serverOptions: TestServerOptions = {},
  { proxy: withProxy = false }: { proxy?: boolean } = {},
): BrowserHarness {
  let server: TestServer;
  let proxy: FaultProxy | undefined;
  let browser: Browser;
  let context: BrowserContext;
  beforeAll(async () => {
    const bundle = await bundleClient();
    server = await startServer({
      ...serverOptions,
      routes: (app) => {
        app.get('/', (_req, res) => {
          res.type('html').send(PAGE);
        });
        app.get('/:file.js', (req, res, next) => {
          const code = bundle.get(`/${req.params.file}.js`);
          if (code) res.type('text/javascript').send(code);
          else next();
        });
        serverOptions.routes?.(app);
      },
    });
    if (withProxy) proxy = await createFaultProxy({ target: `http://127.0.0.1:${server.port}` });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext();
  });
  afterEach(async () => {
    await context.close();
    // Blackholed connections stay dead after healing: reset them too.
    proxy?.heal();
    proxy?.cut();
  });
  return {
    get server() {
      return server;
    },
    get context() {
      return context;
    },
    get proxy() {
      if (!proxy) throw new Error('useBrowser(…, { proxy: true }) for a proxy');
      return proxy;
    },
    async tab(options, topics = ['a']) {
      const page = await context.newPage();
      await page.goto(proxy ? `${proxy.url}/` : `http://127.0.0.1:${server.port}/`);
      await startClient(page, options, topics);
      return page;
    },
  };
}

/**
 * Starts the tab's client as `tab()` does, on a page that has just loaded the test page (again,
 * after a reload).
 */
export async function startClient(page: Page, options: PageClientOptions, topics = ['a']): Promise<void> {
  await page.waitForFunction(() => window.ready);
  await page.evaluate(
    ({ options, topics }) => {
      window.got = [];
      window.opened = [];
      window.events = [];
      window.log = [];
      window.refused = [];
      window.client = window.tidings.createClient({ url: '/realtime', ...options });
      window.client.on('open', ({ transport }) => window.opened.push(transport));
      window.client.on('event', (e) => window.events.push(e));
      for (const name of [
        'connecting',
        'open',
        'reconnecting',
        'fallback',
        'closed',
        'reset',
        'error',
        'publish',
      ] as const) {
        window.client.on(name, ((arg: unknown) => {
          // Errors do not cross page.evaluate: keep their fields.
          const plain = (v: unknown) => (v instanceof Error ? { ...v, message: v.message } : v);
          const a = arg as Record<string, unknown>;
          const copy = arg instanceof Error ? plain(arg) : { ...a, error: plain(a.error) };
          window.log.push({ name, arg: copy, at: Date.now() });
        }) as never);
      }
      for (const topic of topics)
        window.client.subscribe(topic, (_data, e) => window.got.push(e.id), {
          onError: (e) => window.refused.push(`${e.topic}:${e.code}`),
        });
    },
    { options, topics },
  );
}

/** The ids a tab's client delivered so far. */
export const gotIn = (page: Page): Promise<string[]> => page.evaluate(() => window.got);

/** Waits until a tab's client is open. */
export const openIn = (page: Page): Promise<unknown> =>
  page.waitForFunction(() => window.client.status === 'open');

/** The tab's client events named `name`, in order. */
// biome-ignore lint/suspicious/noExplicitAny: event arguments as the page recorded them.
export const logIn = (page: Page, name: string): Promise<{ name: string; arg: any; at: number }[]> =>
  page.evaluate((n) => window.log.filter((l) => l.name === n), name);
