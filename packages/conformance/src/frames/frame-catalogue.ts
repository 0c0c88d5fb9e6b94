import { CLOSE_ROWS } from './cases-close.ts';
import { FRAGMENT_ROWS } from './cases-fragments.ts';
import { FRAMING_ROWS, RESERVED_ROWS } from './cases-framing.ts';
import { LIMIT_ROWS } from './cases-limits.ts';
import { UTF8_ROWS } from './cases-utf8.ts';
import type { FrameRow } from './frame-case.ts';
import type { FrameGroup } from './frame-table.ts';

const rowsOf = (rows: FrameRow[], prefix: string) => rows.filter((row) => row.id.startsWith(prefix));
const byId = (a: FrameRow, b: FrameRow) => a.id.localeCompare(b.id, 'en', { numeric: true });

/** Every row of the table, by Autobahn case group. */
export const FRAME_GROUPS: readonly FrameGroup[] = [
  { title: '1 Framing', rows: rowsOf(FRAMING_ROWS, '1.') },
  { title: '2 Pings and pongs', rows: rowsOf(FRAMING_ROWS, '2.') },
  { title: '3 Reserved bits', rows: rowsOf(RESERVED_ROWS, '3.') },
  { title: '4 Opcodes', rows: rowsOf(RESERVED_ROWS, '4.') },
  { title: '5 Fragmentation', rows: FRAGMENT_ROWS },
  { title: '6 UTF-8 handling', rows: UTF8_ROWS },
  { title: '7 Close handling', rows: CLOSE_ROWS },
  { title: '9 Limits (adapted to maxMessageBytes)', rows: rowsOf(LIMIT_ROWS, '9.').sort(byId) },
  { title: '10 Miscellaneous', rows: rowsOf(LIMIT_ROWS, '10.') },
];

/** Every row, in table order. */
export const FRAME_ROWS: readonly FrameRow[] = FRAME_GROUPS.flatMap((group) => group.rows);
