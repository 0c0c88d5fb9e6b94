import type { Hub } from '@tidings/core';
import type { NotesBackend, Topics } from './app.ts';
import { createNoteStore } from './notes.ts';

/** Notes in this process, published through its own hub (Node, Bun, Deno). */
export function localNotes(hub: Hub<Topics>): NotesBackend {
  const store = createNoteStore();
  return {
    list: () => store.list(),
    async add(text) {
      const note = store.add(text);
      const eventId = await hub.publish('notes', note, { event: 'created' });
      return { note, eventId };
    },
  };
}
