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
  }
}

/** The client bundled for the browser, from source, as an app would ship it. */
export async function bundleClient(): Promise<string> {
  const result = await build({
    entryPoints: [new URL('../../src/index.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    write: false,
    logLevel: 'error',
  });
  return result.outputFiles[0]!.text;
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
  readonly context: BrowserContext;
  /** Opens a tab on the test page whose client records the ids it gets on `topics` in `window.got`. */
  tab(options: PageClientOptions, topics?: string[]): Promise<Page>;
}

/** Starts a server, Chromium, and a fresh browser context per test; closes them all afterwards. */
export function useBrowser(serverOptions: TestServerOptions = {}): BrowserHarness {
  let server: TestServer;
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
        app.get('/client.js', (_req, res) => {
          res.type('text/javascript').send(bundle);
        });
        serverOptions.routes?.(app);
      },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext();
  });
  afterEach(async () => {
    await context.close();
  });
  return {
    get server() {
      return server;
    },
    get context() {
      return context;
    },
    async tab(options, topics = ['a']) {
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${server.port}/`);
      await page.waitForFunction(() => window.ready);
      await page.evaluate(
        ({ options, topics }) => {
          window.got = [];
          window.opened = [];
          window.client = window.tidings.createClient({ url: '/realtime', ...options });
          window.client.on('open', ({ transport }) => window.opened.push(transport));
          for (const topic of topics) window.client.subscribe(topic, (_data, e) => window.got.push(e.id));
        },
        { options, topics },
      );
      return page;
    },
  };
}

/** The ids a tab's client delivered so far. */
export const gotIn = (page: Page): Promise<string[]> => page.evaluate(() => window.got);

/** Waits until a tab's client is open. */
export const openIn = (page: Page): Promise<unknown> =>
  page.waitForFunction(() => window.client.status === 'open');
