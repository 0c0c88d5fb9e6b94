/** A note as the REST API returns it and as it is published on the `notes` topic. */
export interface Note {
  id: number;
  text: string;
  /** ISO 8601 time the note was added. */
  createdAt: string;
}

/** The app's data layer, standing in for a database. */
export interface NoteStore {
  /** The kept notes, oldest first. */
  list(): Note[];
  add(text: string): Note;
}

/** An in-memory store that forgets the oldest note beyond `maxNotes` (default 100). */
export function createNoteStore(maxNotes = 100): NoteStore {
  const notes: Note[] = [];
  let lastId = 0;
  return {
    list: () => notes.slice(),
    add(text) {
      lastId += 1;
      const note: Note = { id: lastId, text, createdAt: new Date().toISOString() };
      notes.push(note);
      if (notes.length > maxNotes) notes.splice(0, notes.length - maxNotes);
      return note;
    },
  };
}
