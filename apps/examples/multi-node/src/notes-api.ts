import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Hub, isTidingsError } from '@tidings/core';
import type pg from 'pg';
import type { Topics } from './node-app.ts';

/** The notes table of the demo (in the app's own schema, beside the broker's). */
export const NOTES_TABLE = `CREATE TABLE IF NOT EXISTS notes (
  id serial PRIMARY KEY,
  text text NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
  created_at timestamptz NOT NULL DEFAULT now()
)`;

async function readJson(req: IncomingMessage): Promise<unknown> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return JSON.parse(body);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * `POST /api/notes` writes the note and publishes its event in one transaction: the event exists
 * iff the row does. A note the database refuses (empty, too long) rolls both back, so no client
 * ever hears of it. `GET /api/notes` lists them (what a client reloads after a reset) with the cursor
 * to subscribe from, read before the rows, so no event falls between the list and the stream.
 */
export async function notesApi(pool: pg.Pool, hub: Hub<Topics>, req: IncomingMessage, res: ServerResponse) {
  if (req.method === 'GET') {
    const cursor = hub.head(); // before the read: an event in between is in both, never in neither
    const { rows } = await pool.query('SELECT id, text FROM notes ORDER BY id');
    return send(res, 200, { notes: rows, cursor });
  }
  if (req.method !== 'POST') return send(res, 405, { error: 'method not allowed' });
  const { text } = (await readJson(req).catch(() => ({}))) as { text?: unknown };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query('INSERT INTO notes (text) VALUES ($1) RETURNING id, text', [text]);
    const note = rows[0] as { id: number; text: string };
    const id = await hub.publish('notes', note, { event: 'created', tx: client });
    await client.query('COMMIT');
    send(res, 201, { note, eventId: id });
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    // The event store refused (503, try again) or the database refused the note (400).
    if (isTidingsError(error)) send(res, error.status, { error: error.code });
    else send(res, 400, { error: (error as Error).message });
  } finally {
    client.release();
  }
}
