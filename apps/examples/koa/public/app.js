// The page uses only the browser's EventSource and WebSocket, so each transport is plain to see.
// An app would use @tidings/client, which does this for it (and falls back between transports).

const BASE = '/realtime';
const TOPICS = 'notes,chat';
const MAX_ITEMS = 30;

let token;

// Tokens are short-lived: one that is close to expiry, or was refused, is replaced before use.
async function getToken() {
  if (token && token.expiresAt - 30_000 > Date.now()) return token.value;
  const res = await fetch('/api/token');
  if (!res.ok) throw new Error(`token: HTTP ${res.status}`);
  const body = await res.json();
  token = { value: body.token, user: body.user, expiresAt: body.expiresAt };
  document.getElementById('who').textContent = `Signed in as ${body.user} with a demo token.`;
  return token.value;
}

function panel(id) {
  const root = document.getElementById(id);
  const list = root.querySelector('ol');
  const show = (text, className) => {
    const item = document.createElement('li');
    item.textContent = text;
    if (className) item.className = className;
    list.prepend(item);
    while (list.children.length > MAX_ITEMS) list.lastElementChild.remove();
  };
  return {
    state(text, state) {
      root.querySelector('[data-status]').textContent = text;
      root.dataset.state = state;
    },
    event(envelope) {
      const data = envelope.data ?? {};
      show(envelope.topic === 'notes' ? `Note #${data.id}: ${data.text}` : `${data.from}: ${data.text}`);
    },
    notice: (text) => show(text, 'notice'),
  };
}

// A URL is logged on its way, so no token goes in one. EventSource cannot send a header: the page
// trades its token (in a header) for a single-use connect ticket. When the server ends the stream
// on purpose it says why in a `close` event.
async function getTicket() {
  const res = await fetch('/api/realtime-ticket', {
    headers: { authorization: `Bearer ${await getToken()}` },
  });
  if (res.status === 401) token = undefined;
  if (!res.ok) throw new Error(`ticket: HTTP ${res.status}`);
  return (await res.json()).ticket;
}

function runSse(view, start) {
  let cursor = start;
  async function open() {
    const params = new URLSearchParams({ topics: TOPICS, ticket: await getTicket() });
    if (cursor) params.set('cursor', cursor);
    const source = new EventSource(`${BASE}/sse?${params}`);
    const onEvent = (message) => {
      cursor = message.lastEventId;
      view.event(JSON.parse(message.data));
    };
    source.onopen = () => view.state('open', 'open');
    // Notes are published as `created`; EventSource drops names nobody listens for.
    source.addEventListener('message', onEvent);
    source.addEventListener('created', onEvent);
    source.addEventListener('reset', (message) => {
      cursor = JSON.parse(message.data).cursor;
      view.notice('Some events were no longer retained (reset).');
    });
    source.addEventListener('close', (message) => {
      const { code, retryMs } = JSON.parse(message.data);
      source.close();
      if (code === 'token_expired') token = undefined;
      view.state(`reconnecting (${code})`, 'connecting');
      setTimeout(open, retryMs);
    });
    source.onerror = () => {
      // The ticket died when the stream opened, so the browser's own reconnect would be refused:
      // reconnect ourselves, with a new ticket and the cursor.
      source.close();
      view.state('retrying', 'error');
      setTimeout(open, 3000);
    };
  }
  open().catch(() => setTimeout(() => runSse(view, cursor), 3000));
}

function runWebSocket(view, start) {
  let cursor = start;
  async function open() {
    const url = new URL(`${BASE}/ws`, location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.search = new URLSearchParams({ topics: TOPICS, ...(cursor ? { cursor } : {}) });
    const value = await getToken();
    const socket = new WebSocket(url);
    // No token in the URL: it is the socket's first message, and the server starts the topics then.
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token: value }));
    socket.onmessage = (message) => {
      const msg = JSON.parse(message.data);
      if (msg.type === 'welcome') {
        cursor ||= msg.cursor;
        view.state('open', 'open');
      } else if (msg.type === 'event') {
        cursor = msg.id;
        view.event(msg);
      } else if (msg.type === 'reset') {
        cursor = msg.cursor;
        view.notice('Some events were no longer retained (reset).');
      } else if (msg.type === 'ping') socket.send('{"type":"pong"}');
    };
    socket.onclose = (event) => {
      // 4401: the token expired or was refused; 1006: the upgrade was refused or the network dropped.
      if (event.code === 4401 || event.code === 1006) token = undefined;
      view.state(`reconnecting (${event.code})`, 'connecting');
      setTimeout(open, event.code === 4401 ? 0 : 2000);
    };
  }
  open().catch(() => setTimeout(() => runWebSocket(view, cursor), 3000));
}

async function submit(event, send) {
  event.preventDefault();
  const input = event.currentTarget.querySelector('input');
  const status = document.getElementById('status');
  try {
    const res = await send(input.value.trim());
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    input.value = '';
    status.textContent = 'Sent.';
  } catch (error) {
    status.textContent = `Could not send: ${error.message}`;
  }
}

document.getElementById('note-form').addEventListener('submit', (event) =>
  submit(event, (text) =>
    fetch('/api/notes', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    }),
  ),
);

// A client publish: `authorize` in src/app.ts lets tokens with a role publish on `chat`.
document.getElementById('chat-form').addEventListener('submit', (event) =>
  submit(event, async (text) =>
    fetch(`${BASE}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await getToken()}` },
      body: JSON.stringify({ topic: 'chat', data: { from: token.user, text } }),
    }),
  ),
);

// Load, then subscribe with no gap: the notes come with the cursor the hub was at when they were
// read, and both panels start from it, so a note published in between is replayed, not lost.
async function loadNotes() {
  const list = document.getElementById('loaded-notes');
  try {
    const res = await fetch('/api/notes');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const { notes, cursor } = await res.json();
    for (const note of notes) {
      const item = document.createElement('li');
      item.textContent = `Note #${note.id}: ${note.text}`;
      list.append(item);
    }
    if (notes.length === 0) list.textContent = 'None yet.';
    return cursor;
  } catch (error) {
    list.textContent = `Could not load the notes (${error.message}); the panels start from now.`;
    return '';
  }
}

const start = await loadNotes();
runSse(panel('sse'), start);
runWebSocket(panel('ws'), start);
