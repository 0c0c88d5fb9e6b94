// The comparison table, filled with what the panels measure.

import { createRates, formatBytes, formatMs } from './stats.js';

const SPAN_MS = 10_000;

/** One row per panel in `tbody`; `update()` refreshes them from the panels' figures. */
export function createComparison(tbody, panels) {
  const rows = panels.map((panel) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = panel.technique.title;
    const cells = Array.from({ length: 5 }, () => document.createElement('td'));
    cells[0].textContent = panel.technique.direction;
    tr.append(th, ...cells);
    tbody.append(tr);
    return { panel, cells, rates: createRates(SPAN_MS) };
  });

  return {
    update() {
      const at = performance.now();
      for (const { panel, cells, rates } of rows) {
        const f = panel.figures();
        const { rates: r, seconds } = rates.update(at, {
          requests: f.requests,
          bytes: f.bytes,
          events: f.events,
        });
        const [, latency, requests, load, received] = cells;
        latency.textContent = `${formatMs(f.p50)} / ${formatMs(f.p99)}`;
        requests.textContent = seconds < 1 ? '–' : `${r.requests.toFixed(1)}/s (${f.requests} in all)`;
        const held = f.status === 'open' ? panel.technique.held : 'holds nothing (reconnecting)';
        const perEvent = r.events > 0 ? `; ${(r.requests / r.events).toFixed(2)} requests per event` : '';
        load.textContent = `${held}${perEvent}`;
        received.textContent =
          r.events > 0
            ? `${r.events.toFixed(1)} events/s, ${formatBytes(r.bytes / r.events)} per event`
            : `${formatBytes(r.bytes)}/s, no events`;
      }
    },
  };
}
