// The four techniques with nothing but the browser's own APIs, so each one is visible as it is.
// An app would use @tidings/client instead, which does all of this (and falls back between them).

const BASE = '/realtime';
const TOPICS = 'notes,chat';
const MAX_ITEMS = 30;
// A reset means the server cannot replay what this client missed (it restarted, or the events
// aged out). A real app reloads its state here, e.g. GET /api/notes, then carries on live.
const RESET_NOTICE = 'Reset: missed events could not be replayed (server restarted or they expired).';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- The demo token -------------------------------------------------------------------------
// GET /api/token stands in for the app's login. Tokens are short-lived; on 401, WebSocket close
// 4401 or an SSE `close` event with `token_expired`, the page drops its token and gets a new one.

let token;

async function getToken() {
  if (token && token.expiresAt - 30_000 > Date.now()) return token.value;
  token = undefined;
  const res = await fetch('/api/token');
  if (!res.ok) throw new Error(`token: HTTP ${res.status}`);
  const body = await res.json();
  token = { value: body.token, user: body.user, expiresAt: body.expiresAt };
  document.getElementById('who').textContent = `Signed in as ${body.user} with a demo token.`;
  return token.value;
}

function dropToken() {
  token = undefined;
}

// A URL is logged by every proxy on the way, so no token goes in one. EventSource cannot send a
// header, so the page trades its token (in a header) for a connect ticket: single-use, valid for
// 30 s, dead once the stream opened with it.
async function getTicket() {
  const res = await fetch('/api/realtime-ticket', {
    headers: { authorization: `Bearer ${await getToken()}` },
  });
  if (res.status === 401) dropToken();
  if (!res.ok) throw new Error(`ticket: HTTP ${res.status}`);
  return (await res.json()).ticket;
}

// --- One panel per technique ------------------------------------------------------------------

function createPanel(id) {
  const root = document.getElementById(id);
  const status = root.querySelector('[data-status]');
  const events = root.querySelector('[data-events]');
  const requests = root.querySelector('[data-requests]');
  const list = root.querySelector('ol');
  let eventCount = 0;
  let requestCount = 0;

  function add(item) {
    list.prepend(item);
    while (list.children.length > MAX_ITEMS) list.lastElementChild.remove();
  }

  return {
    status(text, state) {
      status.textContent = text;
      root.dataset.state = state;
    },
    request() {
      requestCount++;
      requests.textContent = String(requestCount);
    },
    event(envelope) {
      eventCount++;
      events.textContent = String(eventCount);
      const item = document.createElement('li');
      const meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = `${envelope.topic} · ${envelope.event} · ${envelope.id}`;
      item.append(describe(envelope), meta);
      add(item);
    },
    notice(text) {
      const item = document.createElement('li');
      item.className = 'notice';
      item.textContent = text;
      add(item);
    },
  };
}

function describe(envelope) {
  const data = envelope.data ?? {};
  if (envelope.topic === 'chat') return `${data.from ?? 'someone'}: ${data.text ?? ''}`;
  if (envelope.topic === 'notes') return `Note #${data.id}: ${data.text}`;
  return JSON.stringify(data);
}

// --- Short polling: ask every 2 s what happened after my cursor --------------------------------

async function runShortPoll(panel, start) {
  let cursor = start;
  for (;;) {
    try {
      const value = await getToken();
      panel.request();
      const res = await fetch(`${BASE}/poll?topics=${TOPICS}&cursor=${encodeURIComponent(cursor)}`, {
        headers: { authorization: `Bearer ${value}` },
      });
      if (res.status === 401) dropToken();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = await res.json();
      if (body.reset) panel.notice(RESET_NOTICE);
      for (const envelope of body.events) panel.event(envelope);
      cursor = body.cursor;
      panel.status('polling', 'open');
    } catch (error) {
      panel.status('retrying', 'error');
      panel.notice(`Request failed (${error.message}); trying again.`);
    }
    await sleep(2000);
  }
}

// --- Long polling: the server holds each request until an event arrives or 25 s pass ------------

async function runLongPoll(panel, start) {
  let cursor = start;
  for (;;) {
    try {
      const value = await getToken();
      panel.request();
      panel.status('waiting', 'open');
      const query = `topics=${TOPICS}&cursor=${encodeURIComponent(cursor)}&timeout=25`;
      const res = await fetch(`${BASE}/long-poll?${query}`, {
        headers: { authorization: `Bearer ${value}` },
      });
      if (res.status === 401) dropToken();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = await res.json();
      if (body.reset) panel.notice(RESET_NOTICE);
      for (const envelope of body.events) panel.event(envelope);
      cursor = body.cursor;
    } catch (error) {
      panel.status('retrying', 'error');
      panel.notice(`Request failed (${error.message}); trying again in 2 s.`);
      await sleep(2000);
    }
  }
}

// --- Server-Sent Events: one long response, events pushed as they happen -----------------------

function runSse(panel, start) {
  let cursor = start;

  async function open() {
    let ticket;
    try {
      ticket = await getTicket();
    } catch (error) {
      panel.status('retrying', 'error');
      panel.notice(`Could not get a ticket (${error.message}); trying again in 3 s.`);
      setTimeout(open, 3000);
      return;
    }
    // EventSource cannot send headers: a single-use ticket opens the stream instead of a token.
    const params = new URLSearchParams({ topics: TOPICS, ticket });
    if (cursor) params.set('cursor', cursor);
    const source = new EventSource(`${BASE}/sse?${params}`);
    panel.request();
    panel.status('connecting', 'connecting');

    source.onopen = () => panel.status('open', 'open');
    const onEvent = (message) => {
      cursor = message.lastEventId;
      panel.event(JSON.parse(message.data));
    };
    // EventSource dispatches by event name: `message` is the default, `created` is what the
    // server publishes notes as. Names you do not listen for are silently dropped.
    source.addEventListener('message', onEvent);
    source.addEventListener('created', onEvent);
    source.addEventListener('reset', (message) => {
      cursor = JSON.parse(message.data).cursor;
      panel.notice(RESET_NOTICE);
    });
    // The server says why it ends a stream (token_expired, slow_consumer, unavailable) and when
    // to come back; we reconnect ourselves with a fresh token and our cursor.
    source.addEventListener('close', (message) => {
      const { code, retryMs } = JSON.parse(message.data);
      source.close();
      if (code === 'token_expired') dropToken();
      panel.status('reconnecting', 'connecting');
      panel.notice(`The server ended the stream (${code}); reconnecting with the cursor.`);
      setTimeout(open, retryMs);
    });
    source.onerror = () => {
      // The ticket was used when the stream opened, so the browser's own reconnect (same URL) would
      // be refused: reconnect ourselves, with a new ticket and the cursor, so nothing is lost.
      source.close();
      panel.status('retrying', 'error');
      panel.notice('The stream failed; reconnecting in 3 s with a new ticket and the cursor.');
      setTimeout(open, 3000);
    };
  }

  open();
}

// --- WebSocket: one socket, JSON messages both ways ------------------------------------------

function runWebSocket(panel, start) {
  let cursor = start;

  async function open() {
    let value;
    try {
      value = await getToken();
    } catch (error) {
      panel.status('retrying', 'error');
      panel.notice(`Could not get a token (${error.message}); trying again in 3 s.`);
      setTimeout(open, 3000);
      return;
    }
    const url = new URL(`${BASE}/ws`, location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.search = new URLSearchParams({ topics: TOPICS, ...(cursor ? { cursor } : {}) });
    const socket = new WebSocket(url);
    panel.request();
    panel.status('connecting', 'connecting');
    // The browser WebSocket cannot send a header either: the token is the socket's first message,
    // and the server starts the URL's topics once it has verified it.
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token: value }));

    socket.onmessage = (message) => {
      const msg = JSON.parse(message.data);
      if (msg.type === 'welcome') {
        if (!cursor) cursor = msg.cursor;
        panel.status('open', 'open');
      } else if (msg.type === 'event') {
        cursor = msg.id;
        panel.event(msg);
      } else if (msg.type === 'reset') {
        cursor = msg.cursor;
        panel.notice(RESET_NOTICE);
      } else if (msg.type === 'ping') {
        socket.send('{"type":"pong"}');
      } else if (msg.type === 'error') {
        panel.notice(`Error from server: ${msg.code}`);
      }
    };
    socket.onclose = (event) => {
      // 4401: token expired or refused. 1006: the upgrade was refused or the network dropped.
      if (event.code === 4401 || event.code === 1006) dropToken();
      panel.status('reconnecting', 'connecting');
      panel.notice(`Socket closed (${event.code}); reconnecting with the cursor.`);
      setTimeout(open, event.code === 4401 ? 0 : 2000);
    };
  }

  open();
}

// --- Publishing -------------------------------------------------------------------------------

const publishStatus = document.getElementById('publish-status');

async function submit(form, send) {
  const input = form.querySelector('input');
  const text = input.value.trim();
  if (!text) return;
  try {
    const res = await send(text);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    input.value = '';
    publishStatus.textContent = 'Sent. Watch it arrive in each panel.';
  } catch (error) {
    publishStatus.textContent = `Could not send: ${error.message}`;
  }
}

document.getElementById('note-form').addEventListener('submit', (event) => {
  event.preventDefault();
  submit(event.currentTarget, (text) =>
    fetch('/api/notes', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    }),
  );
});

// A client publish: the hub lets tokens with a role publish on `chat` (see `authorize` in app.ts).
document.getElementById('chat-form').addEventListener('submit', (event) => {
  event.preventDefault();
  submit(event.currentTarget, async (text) =>
    fetch(`${BASE}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await getToken()}` },
      body: JSON.stringify({ topic: 'chat', data: { from: token?.user, text } }),
    }),
  );
});

// --- Load, then subscribe with no gap ---------------------------------------------------------
// The REST answer carries the cursor the hub was at when the notes were read: every panel starts
// from it, so a note published between this request and the subscriptions is replayed, not lost.

async function loadNotes() {
  const list = document.getElementById('loaded-notes');
  try {
    const res = await fetch('/api/notes');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const { notes, cursor } = await res.json();
    list.replaceChildren(
      ...notes.map((note) => {
        const item = document.createElement('li');
        item.textContent = `Note #${note.id}: ${note.text}`;
        return item;
      }),
    );
    if (notes.length === 0) list.textContent = 'None yet.';
    return cursor;
  } catch (error) {
    list.textContent = `Could not load the notes (${error.message}); the panels start from now.`;
    return '';
  }
}

const start = await loadNotes();
runShortPoll(createPanel('short-poll'), start);
runLongPoll(createPanel('long-poll'), start);
runSse(createPanel('sse'), start);
runWebSocket(createPanel('websocket'), start);
