import { describe, expect, it } from 'vitest';
import { END_MARKER, replaceSection, START_MARKER } from '../src/report/write-report.ts';

describe('replaceSection', () => {
  it('rewrites only what lies between the markers', () => {
    const doc = `# Benchmarks\n\nprose\n\n${START_MARKER}\n\nold\n\n${END_MARKER}\n\nafter\n`;
    const next = replaceSection(doc, 'new tables');
    expect(next).toContain('prose');
    expect(next).toContain('after');
    expect(next).toContain('new tables');
    expect(next).not.toContain('old');
    expect(replaceSection(next, 'newer')).toBe(next.replace('new tables', 'newer'));
  });

  it('appends the markers to a document that has none', () => {
    const next = replaceSection('# Benchmarks\n', 'tables');
    expect(next.indexOf(START_MARKER)).toBeGreaterThan(0);
    expect(next.indexOf('tables')).toBeGreaterThan(next.indexOf(START_MARKER));
    expect(next.indexOf(END_MARKER)).toBeGreaterThan(next.indexOf('tables'));
  });
});
