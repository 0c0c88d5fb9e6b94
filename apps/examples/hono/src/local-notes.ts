import type { Hub } from '@tidings/core';
import type { NotesBackend, Topics } from './app.ts';
import { createNoteStore } from './notes.ts';

/** Notes in this process, published through its own hub, which also mints the tickets (Node, Bun, Deno). */
export function localNotes(hub: Hub<Topics>): NotesBackend {
  const store = createNoteStore();
  return {
    // The cursor first: a note published in between is in both (the page skips it by id), never in neither.
    list: () => {
      const cursor = hub.head();
      return { notes: store.list(), cursor };
    },
    async add(text) {
      const note = store.add(text);
      const eventId = await hub.publish('notes', note, { event: 'created' });
      return { note, eventId };
    },
    issueTicket: (principal, topics) => hub.issueTicket(principal, { topics }),
  };
}
