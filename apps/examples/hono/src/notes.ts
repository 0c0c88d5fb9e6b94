/** A note, as the REST API returns it and as it is published on the `notes` topic. */
export interface Note {
  id: number;
  text: string;
  createdAt: string;
}

/** The app's existing data layer: an in-memory list standing in for a database. */
export interface NoteStore {
  list(): Note[];
  add(text: string): Note;
}

/** Creates an empty store that keeps the newest `max` notes. */
export function createNoteStore(max = 100): NoteStore {
  const notes: Note[] = [];
  let nextId = 1;
  return {
    list: () => [...notes],
    add(text) {
      const note = { id: nextId++, text, createdAt: new Date().toISOString() };
      notes.push(note);
      if (notes.length > max) notes.shift();
      return note;
    },
  };
}
