import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { summarizeHeapSnapshot } from './heap-summary.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One row of a profile summary. */
export interface HotFunction {
  name: string;
  /** Share of all samples spent in the function itself. */
  selfPct: number;
  /** Share of all samples with the function on the stack. */
  totalPct: number;
}

function nameOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\//, '').replace(/^.*\/(packages|node_modules\/\.pnpm)\//, '');
  const where = file ? ` ${file.split('/').slice(-3).join('/')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where}`;
}

/** Self and total time per function of a V8 `.cpuprofile`, heaviest self time first. */
export function summarizeProfile(profile: CpuProfile, top = 25): HotFunction[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<string, number>();
  const totalUs = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    all += delta;
    const node = byId.get(id);
    if (!node) return;
    const self = nameOf(node);
    selfUs.set(self, (selfUs.get(self) ?? 0) + delta);
    // Each function once per sample, however deep its recursion.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = nameOf(byId.get(at)!);
      if (seen.has(name)) continue;
      seen.add(name);
      totalUs.set(name, (totalUs.get(name) ?? 0) + delta);
    }
  });
  return [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({
      name,
      selfPct: (us / all) * 100,
      totalPct: ((totalUs.get(name) ?? us) / all) * 100,
    }));
}

/** Summaries of every `.cpuprofile` and `.heapsnapshot` in `dir`, as text. */
export async function summarizeProfiles(dir: string, top = 25): Promise<string> {
  const names = (await readdir(dir)).sort();
  const out: string[] = [];
  for (const file of names.filter((f) => f.endsWith('.heapsnapshot'))) {
    out.push(`\n${file}\n       count       bytes  kind / constructor`);
    for (const g of await summarizeHeapSnapshot(join(dir, file), top))
      out.push(`  ${String(g.count).padStart(10)}  ${String(g.selfBytes).padStart(10)}  ${g.kind} ${g.name}`);
  }
  for (const file of names.filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    out.push(`\n${file}\n  self%  total%  function`);
    for (const row of summarizeProfile(profile, top))
      out.push(
        `  ${row.selfPct.toFixed(1).padStart(5)}  ${row.totalPct.toFixed(1).padStart(6)}  ${row.name}`,
      );
  }
  return out.join('\n');
}
