// The transport lab: four panels, the publisher controls, the comparison table and the chat.

import { createChat } from './chat.js';
import { syncClock } from './clock.js';
import { createComparison } from './comparison.js';
import { createPanel } from './panel.js';
import { formatBytes } from './stats.js';
import { showViewers } from './viewers.js';

const POLL_INTERVAL_MS = 1000;
const RENDER_MS = 500;
const STATS_MS = 2000;
// The server stops publishing when no page has asked for 30 s; a visible page asks every 10 s.
const KEEP_ALIVE_MS = 10_000;

const TECHNIQUES = [
  {
    id: 'short-poll',
    transport: 'poll',
    title: 'Short polling',
    how: `<code>GET /realtime/poll</code> every ${POLL_INTERVAL_MS / 1000} s, answered at once`,
    direction: 'server → client, when the client asks',
    held: 'holds nothing between requests',
    clientOptions: { pollIntervalMs: POLL_INTERVAL_MS },
  },
  {
    id: 'long-poll',
    transport: 'long-poll',
    title: 'Long polling',
    how: '<code>GET /realtime/long-poll</code>, held until an event (or 25 s), then again',
    direction: 'server → client, one held request at a time',
    held: 'holds 1 waiting request',
  },
  {
    id: 'sse',
    transport: 'sse',
    title: 'Server-Sent Events',
    how: '<code>GET /realtime/sse</code>, one streamed response (<code>fetch</code>, token in a header)',
    direction: 'server → client stream; client → server by POST',
    held: 'holds 1 open response',
  },
  {
    id: 'websocket',
    transport: 'ws',
    title: 'WebSocket',
    how: '<code>/realtime/ws</code>, one socket, JSON messages both ways',
    direction: 'both ways on one socket',
    held: 'holds 1 socket',
  },
];

const $ = (id) => document.getElementById(id);
const announcer = $('announcer');
const rate = $('rate');
const size = $('size');
const publisherStatus = $('publisher-status');

function announce(text) {
  announcer.textContent = text;
}

// --- The publisher --------------------------------------------------------------------------

let settingsTimer;

async function sendSettings() {
  try {
    const response = await fetch('/api/lab/rate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rate: Number(rate.value), payloadBytes: Number(size.value) }),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    showPublisher(await response.json());
  } catch (error) {
    publisherStatus.textContent = `Could not reach the server (${error.message}).`;
  }
}

function showPublisher(state) {
  publisherStatus.textContent = state.running
    ? `The server publishes ${state.rate} events/s of ${state.payloadBytes} bytes of padding on "lab" (last seq ${state.seq}); limits ${state.maxRate}/s and ${state.maxPayloadBytes} bytes.`
    : `The publisher is stopped (rate 0, or no page asked for ${state.idleStopMs / 1000} s). Pick a rate to start it.`;
}

rate.addEventListener('input', () => {
  $('rate-value').textContent = rate.value;
  clearTimeout(settingsTimer);
  settingsTimer = setTimeout(sendSettings, 150);
});
size.addEventListener('change', sendSettings);
setInterval(() => {
  if (document.visibilityState === 'visible') void sendSettings();
}, KEEP_ALIVE_MS);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') void sendSettings();
});

// --- Server figures ---------------------------------------------------------------------------

async function readStats() {
  const response = await fetch('/api/lab/stats');
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

function showStats(stats) {
  showPublisher(stats.publisher);
  const c = stats.hub.connections;
  $('server-line').textContent =
    `Server, all clients: ${c.ws} WebSocket · ${c.sse} SSE · ${c.longPoll} waiting long polls open; ` +
    `${stats.hub.published} events published, ${stats.hub.delivered} deliveries to connections; ` +
    `process CPU ${stats.cpuPercent}% of a core, memory ${formatBytes(stats.rssBytes)}.`;
  $('outage-ms').textContent = String(stats.cutOutageMs / 1000);
  if (stats.clientBundle.bytes) {
    $('bundle-size').textContent =
      `@tidings/client as this page loads it: ${formatBytes(stats.clientBundle.bytes)} minified, ` +
      `${formatBytes(stats.clientBundle.gzipBytes)} gzipped.`;
  }
}

// --- Start ------------------------------------------------------------------------------------

async function start() {
  // Join a publisher that is already running with its settings, rather than resetting them.
  try {
    const stats = await readStats();
    const p = stats.publisher;
    if (p.running) {
      rate.value = String(p.rate);
      $('rate-value').textContent = String(p.rate);
      const option = [...size.options].find((o) => Number(o.value) === p.payloadBytes);
      if (option) size.value = option.value;
    }
    showStats(stats);
  } catch {
    // sendSettings below says what is wrong.
  }
  await sendSettings();
  await syncClock().catch(() => 0);

  const template = $('panel-template');
  const container = $('panels');
  const panels = TECHNIQUES.map((technique) => createPanel({ technique, template, container, announce }));
  const comparison = createComparison($('comparison-rows'), panels);

  $('cut-all').addEventListener('click', () => {
    announce('Cutting all four connections…');
    for (const panel of panels) void panel.cut();
  });

  setInterval(() => {
    for (const panel of panels) panel.render();
    comparison.update();
  }, RENDER_MS);
  setInterval(() => {
    readStats().then(showStats, () => {});
  }, STATS_MS);

  createChat($('chat-log'));
}

showViewers($('viewers'), $('viewer-count')).catch((error) => {
  $('viewer-count').textContent = `unknown (${error.message})`;
});

void start();
