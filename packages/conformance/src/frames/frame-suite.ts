import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceConfig } from '../config.ts';
import { baseConfig, openWitness, useServer, type Witness } from '../harness.ts';
import type { ConformanceTarget } from '../target.ts';
import { FRAME_MAX_ERRORS, FRAME_MAX_MESSAGE_BYTES } from './cases-limits.ts';
import type { FrameCase } from './frame-case.ts';
import { FRAME_GROUPS, FRAME_ROWS } from './frame-catalogue.ts';
import {
  type FrameFragment,
  type FrameRuntime,
  fragmentPath,
  readFragment,
  readFragments,
  renderTable,
  TABLE_PATH,
  updateTable,
} from './frame-table.ts';
import { gradeCase, type Observation, observeCase } from './observe-case.ts';

/**
 * The hub every runtime starts for the frame suite: tidings' default message and error limits, and
 * heartbeats slow enough that no server ping or heartbeat close ever lands inside a case.
 */
export const FRAME_CONFIG: ConformanceConfig = baseConfig({
  heartbeatMs: 60_000,
  sseHeartbeatMs: 60_000,
  maxMessageBytes: FRAME_MAX_MESSAGE_BYTES,
  maxErrorsPerInterval: FRAME_MAX_ERRORS,
});

// Group 9 moves up to 16 MiB per case through a child runtime on a busy machine: a bound, not a speed check.
const ROW_TIMEOUT_MS = 120_000;

interface Result {
  frameCase: FrameCase;
  observation: Observation;
  pass: boolean;
  label: string;
}

/** A row's cell: one word when every case agrees, else each outcome with its cases. */
function cellOf(results: readonly Result[]): string {
  const byLabel = new Map<string, string[]>();
  for (const { frameCase, label } of results)
    byLabel.set(label, [...(byLabel.get(label) ?? []), frameCase.id]);
  if (byLabel.size === 1) return [...byLabel.keys()][0]!;
  return [...byLabel]
    .map(([label, ids]) => (label === 'pass' ? `pass ×${ids.length}` : `${label}: ${ids.join(', ')}`))
    .join('; ');
}

function explain(result: Result): string {
  return `${result.frameCase.id}: expected ${JSON.stringify(result.frameCase.expect)}, observed ${JSON.stringify(result.observation)}`.slice(
    0,
    4000,
  );
}

/**
 * Registers the Autobahn-style frame suite (groups 1-7, 9, 10) for one target, as one test per
 * table row, and a last test that checks `docs/websocket-frames.md` against what the run observed
 * (or rewrites this runtime's column when `UPDATE_FRAMES_TABLE=1`).
 *
 * Every case must pass, except that a target declaring `webSocketFrameChecks: false` may answer a
 * frame RFC 6455 says to fail the connection on in its own way: the table records what it did,
 * and the test asserts that the server keeps serving another client (an SSE witness) meanwhile.
 */
export function defineFrameSuite(target: ConformanceTarget, runtime: FrameRuntime): void {
  describe(`websocket frames (Autobahn 1-7, 9, 10): ${target.name}`, () => {
    const h = useServer(target, FRAME_CONFIG);
    const frameChecks = target.capabilities.webSocketFrameChecks !== false;
    const cells: Record<string, string> = {};
    const passed = { cases: 0, of: 0 };
    let witness: Witness | undefined;
    beforeAll(async () => {
      witness = await openWitness(h());
    }, 30_000);
    afterAll(() => witness?.close());

    for (const row of FRAME_ROWS) {
      it(
        `${row.id}: ${row.behaviour}`,
        async () => {
          const results: Result[] = [];
          for (const frameCase of row.cases) {
            const observation = await observeCase(h(), frameCase);
            results.push({ frameCase, observation, ...gradeCase(frameCase, observation) });
          }
          cells[row.id] = cellOf(results);
          for (const result of results) {
            if (result.frameCase.expect.outcome === 'any') continue;
            passed.of++;
            if (result.pass) passed.cases++;
          }
          for (const result of results) {
            expect(result.observation.violations, result.frameCase.id).toEqual([]);
            const excused = !frameChecks && result.frameCase.expect.outcome === 'fail';
            if (!result.pass && !excused) expect.fail(explain(result));
          }
          await witness!.check();
        },
        ROW_TIMEOUT_MS,
      );
    }

    it('docs/websocket-frames.md holds what this run observed', async () => {
      const missing = FRAME_ROWS.filter((row) => cells[row.id] === undefined).map((row) => row.id);
      expect(missing, 'rows that did not run (a failed case or a filter)').toEqual([]);
      const fragment: FrameFragment = {
        runtime,
        passed,
        cells: Object.fromEntries(FRAME_ROWS.map((row) => [row.id, cells[row.id]!])),
      };
      if (process.env.UPDATE_FRAMES_TABLE === '1') {
        await updateTable(FRAME_GROUPS, fragment);
        return;
      }
      const hint = 'run the frame tests with UPDATE_FRAMES_TABLE=1 and commit docs/websocket-frames*';
      // Objects, not text, so a failure shows the rows that changed.
      expect(readFragment(runtime), `${fragmentPath(runtime)}: ${hint}`).toEqual(fragment);
      expect(readFileSync(TABLE_PATH, 'utf8'), `${TABLE_PATH}: ${hint}`).toBe(
        renderTable(FRAME_GROUPS, readFragments()),
      );
    });
  });
}
