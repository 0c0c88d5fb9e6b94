import { describe, expect, it } from 'vitest';
import { APP_PONG, type FrameCase, pingText, pongReply } from '../src/frames/frame-case.ts';
import { FRAME_GROUPS, FRAME_ROWS } from '../src/frames/frame-catalogue.ts';
import { closeBody, encodeFrameSpec, OP, parseReceivedFrames } from '../src/frames/frame-codec.ts';
import { FRAME_RUNTIMES, renderTable } from '../src/frames/frame-table.ts';
import { gradeCase, type Observation } from '../src/frames/observe-case.ts';

describe('frame codec', () => {
  it('encodes every length encoding, header bit and mask, and parses it back', () => {
    for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 70_000]) {
      for (const mask of [true, false]) {
        const payload = Buffer.alloc(length, 0xa5);
        const bytes = encodeFrameSpec({ opcode: OP.binary, payload, fin: false, rsv: 5, mask });
        const { frames, used } = parseReceivedFrames(Buffer.concat([bytes, Buffer.from([0x81])]));
        expect(used).toBe(bytes.length);
        expect(frames).toEqual([{ fin: false, rsv: 5, opcode: OP.binary, masked: mask, payload }]);
        // The header's length field takes 1, 3 or 9 bytes, plus 4 for the mask key.
        const head = (length < 126 ? 2 : length < 65_536 ? 4 : 10) + (mask ? 4 : 0);
        expect(bytes.length).toBe(head + length);
      }
    }
  });

  it('keeps an incomplete frame for the next read', () => {
    const bytes = encodeFrameSpec({ opcode: OP.close, payload: closeBody(1000, 'bye') });
    expect(parseReceivedFrames(bytes.subarray(0, bytes.length - 1))).toEqual({ frames: [], used: 0 });
  });

  it('sizes a ping message exactly', () => {
    for (const size of [15, 125, 126, 65_536]) expect(Buffer.byteLength(pingText(size))).toBe(size);
    expect(JSON.parse(pingText(300))).toEqual({ type: 'ping' });
    expect(() => pingText(14)).toThrow(RangeError);
  });
});

describe('grading', () => {
  const run = async () => {};
  const observed = (o: Partial<Observation>): Observation => ({
    replies: [],
    end: 'open',
    closes: 0,
    violations: [],
    ...o,
  });
  const failCase: FrameCase = {
    id: 'x',
    expect: {
      outcome: 'fail',
      code: 1002,
      replies: [APP_PONG],
      alternatives: [{ replies: [], note: 'late' }],
    },
    run,
  };

  it('passes the expected outcome, notes an alternative, and names anything else', () => {
    expect(
      gradeCase(failCase, observed({ end: 'closed', code: 1002, closes: 1, replies: [APP_PONG] })),
    ).toEqual({
      pass: true,
      label: 'pass',
    });
    expect(gradeCase(failCase, observed({ end: 'closed', code: 1002, closes: 1 }))).toEqual({
      pass: true,
      label: 'pass (late)',
    });
    expect(gradeCase(failCase, observed({ end: 'open' })).label).toBe('runtime accepts');
    expect(gradeCase(failCase, observed({ end: 'dropped' })).label).toBe('runtime drops the connection');
    expect(gradeCase(failCase, observed({ end: 'closed', code: 1000, closes: 1 })).label).toBe(
      'runtime closes with 1000',
    );
    expect(
      gradeCase({ ...failCase, sentCloseCode: 1000 }, observed({ end: 'closed', code: 1000, closes: 1 }))
        .label,
    ).toBe('runtime echoes the close code');
    // Two close frames from the server are never a clean close.
    expect(gradeCase(failCase, observed({ end: 'closed', code: 1002, closes: 2 })).pass).toBe(false);
  });

  it('requires the replies in order for an open connection', () => {
    const open: FrameCase = {
      id: 'y',
      expect: { outcome: 'open', replies: [pongReply('a'), APP_PONG] },
      run,
    };
    expect(gradeCase(open, observed({ replies: [pongReply('a'), APP_PONG] })).pass).toBe(true);
    expect(gradeCase(open, observed({ replies: [APP_PONG, pongReply('a')] }))).toEqual({
      pass: false,
      label: 'fail: other answers',
    });
  });
});

describe('the table', () => {
  it('has unique row and case ids, each row with at least one case', () => {
    const rowIds = FRAME_ROWS.map((row) => row.id);
    const caseIds = FRAME_ROWS.flatMap((row) => row.cases.map((c) => c.id));
    expect(new Set(rowIds).size).toBe(rowIds.length);
    expect(new Set(caseIds).size).toBe(caseIds.length);
    for (const row of FRAME_ROWS) expect(row.cases.length, row.id).toBeGreaterThan(0);
  });

  it('renders every row with one cell per runtime, "not run" where a fragment is missing', () => {
    const first = FRAME_ROWS[0]!;
    const text = renderTable(FRAME_GROUPS, {
      bun: { runtime: 'bun', passed: { cases: 1, of: 2 }, cells: { [first.id]: 'pass | odd' } },
    });
    const lines = text.split('\n').filter((line) => line.startsWith(`| ${first.id} `));
    expect(lines).toHaveLength(1);
    const cells = lines[0]!.split(/(?<!\\)\|/).slice(3, -1);
    expect(cells.map((c) => c.trim())).toEqual(
      FRAME_RUNTIMES.map((r) => (r.id === 'bun' ? 'pass \\| odd' : 'not run')),
    );
    expect(text).toContain('| cases passed | not run     | 1 of 2 | not run | not run |');
    expect(renderTable(FRAME_GROUPS, {})).toBe(renderTable(FRAME_GROUPS, {}));
  });
});
