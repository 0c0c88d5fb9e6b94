import { describe, expect } from 'vitest';
import { openWs, UpgradeRefused } from '../clients/ws-client.ts';
import type { ConformanceMount } from '../config.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { spec } from './case-kit.ts';

/** What the host app answers for every request the adapter hands on: `{"app":"<METHOD> <path>"}`. */
export interface HostAppAnswer {
  app: string;
}

/** The host app's answer body (JSON text) for a request it is handed, from its method and URL (query ignored). */
export function hostAppBody(method: string | undefined, url: string | undefined): string {
  const answer: HostAppAnswer = { app: `${method ?? 'GET'} ${(url ?? '/').split('?', 1)[0]}` };
  return JSON.stringify(answer);
}

/** The origin of the harness's server (its URL without the path). */
function originOf(h: Harness): string {
  return new URL(h.url).origin;
}

// The app's own routes whose last segment is a route name: they must reach the app untouched.
const FOREIGN: [method: string, path: string][] = [
  ['GET', '/api/x/poll'],
  ['POST', '/api/x/publish'],
  ['GET', '/api/x/long-poll'],
  ['GET', '/anything/deep/sse'],
  ['GET', '/reports/ws'],
  ['POST', '/realtime-not/publish'],
  ['GET', '/realtime/poll/extra'],
];

/** Requests outside `{path}/…` reach the host app; tidings' own routes work at `{path}`, WebSocket included. */
export function mountCases(h: () => Harness, mount: Exclude<ConformanceMount, 'mismatch'>): void {
  describe(`mounted ${mount === 'root' ? 'at the root' : 'under a prefix that leads to its path'}`, () => {
    const cleanup = useCleanup();

    spec('the app keeps its own routes that end in a route name (GET and POST)', async () => {
      for (const [method, path] of FOREIGN) {
        const response = await fetch(`${originOf(h())}${path}?topics=a`, {
          method,
          headers: { 'content-type': 'application/json', ...(await h().auth('publisher')) },
          ...(method === 'POST' ? { body: JSON.stringify({ order: 1 }) } : {}),
        });
        expect(response.status, `${method} ${path}`).toBe(200);
        expect((await response.json()) as HostAppAnswer, `${method} ${path}`).toEqual({
          app: `${method} ${path}`,
        });
      }
    });

    spec('answers its routes at the path, and WebSockets at {path}/ws', async () => {
      const topic = uniqueTopic();
      const poll = await fetch(h().route('poll', { topics: topic }), { headers: await h().auth() });
      expect(poll.status).toBe(200);
      expect(await poll.json()).toMatchObject({ events: [] });
      const ws = await openWs(h().route('ws', { topics: topic }), { headers: await h().auth() });
      cleanup(ws.close);
      await ws.waitFor('welcome');
      const id = await h().publish(topic, { mounted: mount });
      expect((await ws.waitFor('event'))[0]).toMatchObject({ id, data: { mounted: mount } });
    });
  });
}

/** Mounted under `/rt` while its path is `/realtime`: a request there gets a loud answer naming both, on every transport. */
export function mountMismatchCases(h: () => Harness): void {
  describe('mounted where its path can never be reached', () => {
    const cleanup = useCleanup();
    const at = (path: string) => `${originOf(h())}${path}`;

    spec('polls, streams and publishes get 500 misconfigured naming the mount and the path', async () => {
      for (const [method, path] of [
        ['GET', '/rt/poll?topics=a'],
        ['GET', '/rt/sse?topics=a'],
        ['GET', '/rt/long-poll?topics=a'],
        ['POST', '/rt/publish'],
      ] as const) {
        const response = await fetch(at(path), {
          method,
          headers: await h().auth('publisher'),
          ...(method === 'POST' ? { body: JSON.stringify({ topic: 'a', data: 1 }) } : {}),
        });
        expect(response.status, path).toBe(500);
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect(body.error.code, path).toBe('misconfigured');
        expect(body.error.message, path).toContain('/rt');
        expect(body.error.message, path).toContain('/realtime');
      }
    });

    spec(
      'a WebSocket at the mount is refused with an answer that names the path, never upgraded',
      async () => {
        let refused: UpgradeRefused | undefined;
        try {
          const ws = await openWs(`${at('/rt/ws')}?topics=a`, { headers: await h().auth() });
          cleanup(ws.close);
        } catch (error) {
          if (error instanceof UpgradeRefused) refused = error;
          else throw error;
        }
        expect(refused, 'the upgrade must not succeed').toBeDefined();
        expect([404, 500]).toContain(refused!.status);
        // Both the path asked for and the one tidings serves.
        expect(refused!.body).toContain('/realtime');
        expect(refused!.body).toContain('/rt');
      },
    );

    spec('the app keeps the other routes under the mount', async () => {
      const response = await fetch(at('/rt/other'));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ app: 'GET /rt/other' });
    });
  });
}
