// One panel: a @tidings/client held to one transport, its counters, chart and cut button.

import { createClient } from '/lab/client.js';
import { createChart } from './chart.js';
import { serverNow } from './clock.js';
import { createMeter } from './meter.js';
import { createWindow, formatBytes, formatMs } from './stats.js';
import { createTokenSource } from './tokens.js';

const CHART_SLOTS = 150;
const LATENCY_WINDOW = 300;
const RECENT = 4;
// How long after a reconnect the panel keeps counting replayed events before it reports.
const SETTLE_MS = 1000;
// The page is busy for a moment after it loads (modules, tokens, four clients starting): events of
// the first second after the first open measure that, not the transport, so they are not sampled.
const WARM_UP_MS = 1000;

/**
 * Builds the panel from the template into `container` and starts its client.
 * `technique` is { id, transport, title, how, clientOptions }; `announce(text)` speaks politely.
 */
export function createPanel({ technique, template, container, announce }) {
  const root = template.content.firstElementChild.cloneNode(true);
  root.id = technique.id;
  root.setAttribute('aria-labelledby', `${technique.id}-title`);
  const title = root.querySelector('h2');
  title.id = `${technique.id}-title`;
  title.textContent = technique.title;
  root.querySelector('.how').innerHTML = technique.how;
  const cutButton = root.querySelector('.cut');
  cutButton.querySelector('.visually-hidden').textContent = ` (${technique.title})`;
  const fields = Object.fromEntries(
    [...root.querySelectorAll('[data-field]')].map((el) => [el.dataset.field, el]),
  );
  const recentList = root.querySelector('.recent');
  const chart = createChart(root.querySelector('.chart'), CHART_SLOTS);
  container.append(root);

  const meter = createMeter();
  const tokens = createTokenSource();
  const latency = createWindow(LATENCY_WINDOW);
  const recent = [];
  const state = {
    status: 'starting',
    events: 0,
    gaps: 0,
    duplicates: 0,
    reconnects: 0,
    replayed: 0,
    resets: 0,
    lastSeq: undefined,
    // Set from the moment the connection is lost until SETTLE_MS after it is back.
    outage: undefined,
    // performance.now() of the first open.
    openedAt: undefined,
    notice: '',
  };

  // DEMO ONLY. The socket's token goes in its first message, after the upgrade the server's cut
  // route sees, so the upgrade URL names the panel's user for it (the client's URLs always have a
  // query: `topics`).
  class TaggedWebSocket extends meter.WebSocket {
    constructor(url, protocols) {
      super(`${url}&lab-user=${encodeURIComponent(tokens.user ?? '')}`, protocols);
    }
  }

  const client = createClient({
    url: '/realtime',
    transports: [technique.transport],
    sharedConnection: false,
    getToken: tokens.get,
    fetch: meter.fetch,
    WebSocket: TaggedWebSocket,
    ...technique.clientOptions,
  });

  client.subscribe('lab', (event) => {
    const receivedAt = serverNow();
    state.events++;
    if (state.lastSeq !== undefined) {
      if (event.seq <= state.lastSeq) state.duplicates++;
      else state.gaps += event.seq - state.lastSeq - 1;
    }
    if (state.lastSeq === undefined || event.seq > state.lastSeq) state.lastSeq = event.seq;
    const latencyMs = Math.max(0, receivedAt - event.sentAt);
    // Published while this client was away and delivered on its return: replay, not latency.
    const replayed = state.outage?.backAt !== undefined && event.sentAt < state.outage.backAt;
    if (replayed) {
      state.replayed++;
      state.outage.replayed++;
    } else if (performance.now() - state.openedAt >= WARM_UP_MS) latency.add(latencyMs);
    recent.push({ seq: event.seq, latencyMs, replayed });
    if (recent.length > RECENT) recent.shift();
  });

  client.on('connecting', () => {
    state.status = 'connecting';
  });
  client.on('reconnecting', ({ delayMs, error }) => {
    state.status = 'reconnecting';
    state.outage ??= { lostAt: performance.now(), backAt: undefined, replayed: 0 };
    state.notice = `Lost (${error.message}); the client tries again in ${formatMs(delayMs)}.`;
  });
  client.on('open', () => {
    state.status = 'open';
    state.openedAt ??= performance.now();
    const outage = state.outage;
    if (!outage || outage.backAt !== undefined) return;
    outage.backAt = serverNow();
    state.reconnects++;
    const awayMs = performance.now() - outage.lostAt;
    state.notice = `Back after ${formatMs(awayMs)}, resuming from its cursor.`;
    setTimeout(() => {
      state.outage = undefined;
      const text =
        `Back after ${formatMs(awayMs)}; ${outage.replayed} missed event${outage.replayed === 1 ? '' : 's'} ` +
        `replayed; gaps ${state.gaps}, duplicates ${state.duplicates}.`;
      state.notice = text;
      announce(`${technique.title}: ${text}`);
    }, SETTLE_MS);
  });
  client.on('reset', () => {
    // The server could not replay (it restarted, or the events expired): start counting again.
    state.resets++;
    state.lastSeq = undefined;
    state.notice = 'Reset: the server no longer had the missed events (it restarted?). Counting starts over.';
  });
  client.on('closed', ({ error }) => {
    state.status = 'closed';
    if (error) state.notice = `Stopped: ${error.message}`;
  });

  async function cut() {
    if (!tokens.token) return;
    const response = await fetch('/api/lab/cut', {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.token}` },
    });
    if (!response.ok) {
      state.notice = `Cut refused: HTTP ${response.status}`;
      return;
    }
    const { cut: dropped, outageMs } = await response.json();
    state.notice =
      dropped > 0
        ? `Cut: the server dropped ${dropped} connection${dropped === 1 ? '' : 's'} and refuses new ones for ${formatMs(outageMs)}.`
        : `Cut: no request in flight; the next one is refused for ${formatMs(outageMs)}.`;
  }
  cutButton.addEventListener('click', () => void cut());

  const set = (name, text) => {
    if (fields[name].textContent !== text) fields[name].textContent = text;
  };

  return {
    technique,
    client,
    cut,
    /** The panel's figures, for the comparison table. */
    figures() {
      const [p50, p99] = latency.percentiles(50, 99);
      return { ...meter.counts, ...state, p50, p99 };
    },
    render() {
      const [p50, p99] = latency.percentiles(50, 99);
      root.dataset.state =
        state.status === 'open' ? 'open' : state.status === 'closed' ? 'closed' : 'connecting';
      set('status', state.status === 'open' ? `open · ${client.transport}` : state.status);
      set('events', String(state.events));
      set('p50', formatMs(p50));
      set('p99', formatMs(p99));
      set('requests', String(meter.counts.requests));
      set('bytes', formatBytes(meter.counts.bytes));
      set('reconnects', String(state.reconnects));
      set('gaps', String(state.gaps));
      set('duplicates', String(state.duplicates));
      set('replayed', String(state.replayed));
      set('notice', state.notice);
      fields.gaps.classList.toggle('bad', state.gaps > 0);
      fields.duplicates.classList.toggle('bad', state.duplicates > 0);
      chart.draw(latency.values.slice(-CHART_SLOTS), p50, p99);
      const items = recent.map(({ seq, latencyMs, replayed }) => {
        const li = document.createElement('li');
        const what = document.createElement('span');
        what.textContent = `#${seq}`;
        const how = document.createElement('span');
        how.textContent = replayed ? 'replayed' : formatMs(latencyMs);
        if (replayed) how.className = 'replayed';
        li.append(what, how);
        return li;
      });
      recentList.replaceChildren(...items.reverse());
    },
  };
}
