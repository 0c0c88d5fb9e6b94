import { describe, expect, it } from 'vitest';
import { createDedupe } from '../src/internal/dedupe.ts';

describe('dedupe', () => {
  it('reports an id seen before', () => {
    const seen = createDedupe();
    expect(seen('e-1')).toBe(false);
    expect(seen('e-2')).toBe(false);
    expect(seen('e-1')).toBe(true);
    expect(seen('e-2')).toBe(true);
    expect(seen('e-3')).toBe(false);
  });

  it('remembers only the last `size` ids, so memory stays bounded', () => {
    const seen = createDedupe(3);
    for (const id of ['a', 'b', 'c', 'd']) seen(id);
    // 'a' was the oldest and was forgotten; b, c, d are still known.
    expect(seen('b')).toBe(true);
    expect(seen('d')).toBe(true);
    expect(seen('a')).toBe(false);
  });
});
