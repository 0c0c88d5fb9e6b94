import type { DeliveryCheck } from './check-delivery.ts';

/** Thrown by `recorder.assertComplete`: its message says what went wrong; `check` has the details. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  /** The verdict that failed. */
  readonly check: DeliveryCheck;

  constructor(check: DeliveryCheck, allowResets: boolean) {
    super(describe(check, allowResets));
    this.check = check;
  }
}

/** A readable account of a failed check, one line per kind of problem (and per topic). */
function describe(check: DeliveryCheck, allowResets: boolean): string {
  const lines = [`delivery incomplete: ${check.expected} published, ${check.received} received`];
  const scopes = check.topics ? Object.entries(check.topics) : [['', check] as const];
  for (const [topic, c] of scopes) {
    if (c.ok) continue;
    const prefix = topic ? `topic ${topic}: ` : '';
    for (const gap of c.gaps) {
      if (gap.coveredByReset && allowResets) continue;
      const where = `between ${gap.after ?? 'the start'} and ${gap.before ?? 'the end'}`;
      const why = gap.coveredByReset ? 'after a reset (resets not allowed)' : 'and no reset covering them';
      lines.push(`  ${prefix}missing ${list(gap.ids)} ${where}, ${why}`);
    }
    if (c.duplicated.length) lines.push(`  ${prefix}received more than once: ${list(c.duplicated)}`);
    for (const { id, after } of c.outOfOrder.slice(0, 10))
      lines.push(`  ${prefix}out of order: ${id} arrived after ${after}`);
    if (c.outOfOrder.length > 10) lines.push(`  ${prefix}… ${c.outOfOrder.length - 10} more out of order`);
    if (c.unexpected.length) lines.push(`  ${prefix}never published: ${list(c.unexpected)}`);
  }
  return lines.join('\n');
}

function list(ids: string[]): string {
  const shown = ids.slice(0, 10).join(', ');
  return ids.length > 10 ? `${shown} … (${ids.length} in all)` : shown;
}
