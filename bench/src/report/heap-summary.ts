import { readFile } from 'node:fs/promises';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** One row: all heap objects of one kind and constructor. */
export interface HeapGroup {
  kind: string;
  name: string;
  count: number;
  selfBytes: number;
}

/**
 * Self size per (kind, constructor) in a V8 heap snapshot, largest first. With N idle connections
 * open, dividing by N gives the bytes each connection keeps in each kind of object.
 */
export async function summarizeHeapSnapshot(path: string, top = 25): Promise<HeapGroup[]> {
  const snapshot = JSON.parse(await readFile(path, 'utf8')) as HeapSnapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += width) {
    const kind = types[nodes[i + typeAt]!] ?? '?';
    // Strings and numbers are named by their content; group them by kind alone.
    const name =
      kind === 'string' || kind === 'number' || kind === 'concatenated string'
        ? kind
        : strings[nodes[i + nameAt]!]!;
    const key = `${kind}\u0000${name}`;
    const group = groups.get(key) ?? { kind, name: name.slice(0, 80), count: 0, selfBytes: 0 };
    group.count++;
    group.selfBytes += nodes[i + sizeAt]!;
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.selfBytes - a.selfBytes).slice(0, top);
}
