// Two-way messaging: two more clients on `chat`, one over a WebSocket (publishes go up the socket)
// and one over SSE (publishes go up as POST /realtime/publish).

import { createClient } from '/lab/client.js';
import { pageNow } from './clock.js';
import { formatMs } from './stats.js';
import { createTokenSource } from './tokens.js';

const MAX_MESSAGES = 50;
const PEOPLE = [
  { name: 'Ada', formId: 'chat-ws', transport: 'ws', up: 'the WebSocket', down: 'WebSocket' },
  { name: 'Grace', formId: 'chat-sse', transport: 'sse', up: 'POST /realtime/publish', down: 'SSE' },
];

/** Starts the chat in `log` (an `ol`) and the two forms. */
export function createChat(log) {
  // Messages by their `msg` id, so each client's copy updates the same entry.
  const entries = new Map();

  function entryFor(data) {
    let entry = entries.get(data.msg);
    if (entry) return entry;
    const li = document.createElement('li');
    const text = document.createElement('span');
    text.textContent = `${data.from}: ${data.text}`;
    const meta = document.createElement('span');
    meta.className = 'meta';
    li.append(text, meta);
    log.append(li);
    while (log.children.length > MAX_MESSAGES) log.firstElementChild.remove();
    log.scrollTop = log.scrollHeight;
    entry = { li, meta, sent: '', seen: [], sentAt: undefined };
    if (data.msg) entries.set(data.msg, entry);
    if (entries.size > MAX_MESSAGES) entries.delete(entries.keys().next().value);
    return entry;
  }

  function describe(entry) {
    entry.meta.textContent = [entry.sent, ...entry.seen].filter(Boolean).join(' · ');
  }

  for (const person of PEOPLE) {
    const form = document.getElementById(person.formId);
    const input = form.querySelector('input');
    const status = form.querySelector('[data-status]');
    const client = createClient({
      url: '/realtime',
      transports: [person.transport],
      sharedConnection: false,
      getToken: createTokenSource().get,
    });
    client.on('open', ({ transport }) => {
      status.textContent = `connected over ${transport}`;
    });
    client.on('reconnecting', () => {
      status.textContent = 'reconnecting…';
    });
    client.on('closed', ({ error }) => {
      status.textContent = error ? `stopped: ${error.message}` : 'closed';
    });
    client.subscribe('chat', (data) => {
      const entry = entryFor(data);
      const took = entry.sentAt === undefined ? '' : ` in ${formatMs(pageNow() - entry.sentAt)}`;
      entry.seen.push(`${person.name} got it over ${person.down}${took}`);
      describe(entry);
    });

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      const data = { from: person.name, text, msg: crypto.randomUUID() };
      const entry = entryFor(data);
      entry.sentAt = pageNow();
      entry.sent = `sent over ${person.up}`;
      describe(entry);
      input.value = '';
      try {
        await client.publish('chat', data);
      } catch (error) {
        entry.sent = `not sent: ${error.message}`;
        describe(entry);
      }
    });
  }
}
