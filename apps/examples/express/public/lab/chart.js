// A latency strip chart: the last `slots` samples as one polyline, with p50 and p99 as dashed
// lines. Inline SVG, redrawn in place, no library.

const WIDTH = 300;
const HEIGHT = 80;

// The smallest 1, 2 or 5 × 10^n at or above `value`, so the scale reads as a round number.
function niceCeil(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** Draws into the `.chart` element of a panel. */
export function createChart(root, slots) {
  const line = root.querySelector('polyline');
  const p50Line = root.querySelector('line.p50');
  const p99Line = root.querySelector('line.p99');
  const caption = root.querySelector('[data-field="scale"]');
  const y = (value, scale) => (HEIGHT - 2 - (Math.min(value, scale) / scale) * (HEIGHT - 6)).toFixed(1);

  return {
    draw(samples, p50, p99) {
      if (!samples.length) return;
      // Scaled to the p99, so one outlier does not flatten the rest; above it is clipped.
      const scale = niceCeil(Math.max(1, (p99 ?? 1) * 1.2));
      const step = WIDTH / (slots - 1);
      const start = slots - samples.length;
      line.setAttribute(
        'points',
        samples.map((v, i) => `${((start + i) * step).toFixed(1)},${y(v, scale)}`).join(' '),
      );
      for (const [el, value] of [
        [p50Line, p50],
        [p99Line, p99],
      ]) {
        el.setAttribute('y1', y(value, scale));
        el.setAttribute('y2', y(value, scale));
      }
      caption.textContent = `last ${samples.length} events · scale 0–${scale >= 1000 ? `${scale / 1000} s` : `${scale} ms`} · dashed: p50, p99`;
    },
  };
}
