import type { BenchReport, ScenarioReport, TargetSummary } from '../run-bench.ts';
import { formatNumber } from './format.ts';

const WIDTH = 820;
const LABEL_WIDTH = 290;
const BAR_AREA = WIDTH - LABEL_WIDTH - 90;
const ROW = 18;
const PANEL_GAP = 26;
const COLORS: Record<TargetSummary['family'], string> = {
  tidings: '#2f6fde',
  baseline: '#3a3a3a',
  peer: '#a8a8a8',
};

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function panel(scenario: ScenarioReport, top: number): { svg: string; height: number } {
  const idle = scenario.mode === 'idle';
  const value = (s: TargetSummary) => (idle ? s.median.rssPerConnKB : s.median.usPerUnit);
  const unit = idle ? 'KB RSS per connection' : `server µs per ${scenario.unit}`;
  const rows = scenario.summary.filter((s) => Number.isFinite(value(s)));
  const max = Math.max(...rows.map(value), 1e-9);
  const parts = [
    `<text x="0" y="${top + 14}" font-weight="bold">${escapeXml(`${scenario.id}: ${scenario.title}`)}</text>`,
    `<text x="0" y="${top + 30}" fill="#666">${escapeXml(`${unit}, median (lower is better)`)}</text>`,
  ];
  rows.forEach((s, i) => {
    const y = top + 38 + i * ROW;
    const width = Math.max(1, (value(s) / max) * BAR_AREA);
    const name = s.target === scenario.baseline ? `${s.label} (baseline)` : s.label;
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + 12}" text-anchor="end">${escapeXml(name)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y + 2}" width="${width.toFixed(1)}" height="${ROW - 5}" fill="${COLORS[s.family]}"/>`,
      `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + 12}">${formatNumber(value(s))}</text>`,
    );
  });
  return { svg: parts.join('\n'), height: 38 + rows.length * ROW };
}

/**
 * A horizontal bar chart, one panel per scenario: server CPU per delivery (or per request) for the
 * active scenarios, RSS per connection for the idle ones. Blue is tidings, dark grey the baseline,
 * light grey the other peers.
 */
export function renderChart(report: BenchReport): string {
  const panels: string[] = [];
  let top = 0;
  for (const scenario of report.scenarios) {
    const { svg, height } = panel(scenario, top);
    panels.push(svg);
    top += height + PANEL_GAP;
  }
  const height = Math.max(40, top);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH + 20}" height="${height + 20}" viewBox="-10 -10 ${WIDTH + 20} ${height + 20}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect x="-10" y="-10" width="${WIDTH + 20}" height="${height + 20}" fill="#fff"/>`,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}
