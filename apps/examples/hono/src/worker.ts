// Worker entry: `pnpm dev:worker` (wrangler dev) and `wrangler deploy`; see wrangler.toml. The hub
// lives in a Durable Object, so a note published by any request reaches every subscriber.
import type { HubOptions, Principal } from '@tidings/core';
import {
  type DurableObjectNamespaceLike,
  hubObject,
  TidingsDurableObject,
  tidingsDurable,
} from '@tidings/hono/cloudflare';
import { buildApp, DEMO_SECRET, hubOptions, type NotesBackend, type NotesPage } from './app.ts';
import { createNoteStore, type Note } from './notes.ts';

/** The Worker's bindings (wrangler.toml). */
interface Env {
  /** The Durable Object namespace of `NotesHub`. */
  TIDINGS: DurableObjectNamespaceLike;
  TIDINGS_DEMO_SECRET?: string;
}

function secretOf(env: Env): string {
  return env.TIDINGS_DEMO_SECRET || DEMO_SECRET;
}

/**
 * The hub's Durable Object, extended with the app's notes: they live beside the hub, so storing a
 * note and publishing it happen in one place. (In memory, like the other entries: a real app keeps
 * them in `ctx.storage` or a database.)
 */
export class NotesHub extends TidingsDurableObject<Env> {
  readonly #notes = createNoteStore();

  protected hubOptions(env: Env): HubOptions {
    return hubOptions(secretOf(env));
  }

  /** RPC: the notes so far, and the cursor to subscribe from (read first, see local-notes.ts). */
  listNotes(): NotesPage {
    const cursor = this.hub.head();
    return { notes: this.#notes.list(), cursor };
  }

  /** RPC: a connect ticket, minted by the hub that will redeem it. */
  issueTicket(principal: Principal, topics: string[]): Promise<string> {
    return this.hub.issueTicket(principal, { topics });
  }

  /** RPC: stores a note and publishes it on `notes`. */
  async addNote(text: string): Promise<{ note: Note; eventId: string }> {
    const note = this.#notes.add(text);
    const eventId = await this.hub.publish('notes', note, { event: 'created' });
    return { note, eventId };
  }
}

type NotesStub = ReturnType<typeof hubObject> & {
  listNotes(): Promise<NotesPage>;
  addNote(text: string): Promise<{ note: Note; eventId: string }>;
  issueTicket(principal: Principal, topics: string[]): Promise<string>;
};

// A stub belongs to the request that made it (workerd refuses its use from another), so each call gets its own.
function notesOf(env: Env): NotesBackend {
  const stub = () => hubObject(env.TIDINGS) as NotesStub;
  return {
    list: () => stub().listNotes(),
    add: (text) => stub().addNote(text),
    issueTicket: (principal, topics) => stub().issueTicket(principal, topics),
  };
}

// The app reads its secret and notes from the bindings, so it is built once per bindings object.
const apps = new WeakMap<Env, ReturnType<typeof buildApp>>();

// The page itself is served by Workers static assets (`[assets]` in wrangler.toml), before the Worker runs.
export default {
  fetch(request: Request, env: Env, ctx: unknown): Response | Promise<Response> {
    let app = apps.get(env);
    if (!app) {
      app = buildApp({ secret: secretOf(env), realtime: tidingsDurable(), notes: notesOf(env) });
      apps.set(env, app);
    }
    return app.fetch(request, env, ctx as never);
  },
};
