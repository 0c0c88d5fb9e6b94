// Latency compares the server's publish time (in each event) with this page's clock. The two
// clocks can differ, so the page measures the offset the way NTP does: ask the server for its time
// and assume the answer was taken halfway through the round trip; keep the shortest round trip.

const SAMPLES = 5;
let offsetMs = 0;

/** This page's time, in ms since the epoch, with sub-millisecond resolution. */
export function pageNow() {
  return performance.timeOrigin + performance.now();
}

/** This page's time on the server's clock. */
export function serverNow() {
  return pageNow() + offsetMs;
}

/** Measures the offset; resolves to it, in ms. */
export async function syncClock() {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < SAMPLES; i++) {
    const sentAt = pageNow();
    const response = await fetch('/api/lab/clock');
    const { now } = await response.json();
    const receivedAt = pageNow();
    if (receivedAt - sentAt < best) {
      best = receivedAt - sentAt;
      offsetMs = now - (sentAt + receivedAt) / 2;
    }
  }
  return offsetMs;
}
