import { APP_PONG, errorReply, type FrameCase, type FrameRow, pingText, times } from './frame-case.ts';
import { chop, type FrameSpec, messageFrames, OP } from './frame-codec.ts';
import type { WriteMode } from './frame-socket.ts';

/** The hub's `maxMessageBytes` in the frame suite's config (tidings' default). */
export const FRAME_MAX_MESSAGE_BYTES = 65_536;
/** The hub's `maxErrorsPerInterval` in the frame suite's config (tidings' default). */
export const FRAME_MAX_ERRORS = 20;

const KIB = 1024;
const MIB = 1024 * KIB;
const OVER = [256 * KIB, MIB, 4 * MIB, 8 * MIB, 16 * MIB];
const FRAGMENT_SIZES = [64, 256, KIB, 4 * KIB, 16 * KIB, 64 * KIB];
const CHOP_SIZES = [64, 128, 256, 512, KIB, 2 * KIB];
const COUNT_SIZES = [0, 16, 64, 256, KIB, 4 * KIB];

const payloadOf = (opcode: number, size: number): Buffer =>
  opcode === OP.text ? Buffer.from(pingText(size)) : Buffer.alloc(size, 0xfe);
const answerOf = (opcode: number) => (opcode === OP.text ? APP_PONG : errorReply());
const fragmentsBy = (bytes: Buffer, size: number): FrameSpec[] => messageFrames(OP.text, chop(bytes, size));

function sized(id: string, opcode: number, size: number, frames: FrameSpec[], mode?: WriteMode): FrameCase {
  return {
    id,
    expect:
      size > FRAME_MAX_MESSAGE_BYTES
        ? { outcome: 'limit', code: 1009, replies: [] }
        : { outcome: 'open', replies: [answerOf(opcode)] },
    run: ({ socket }) => socket.send(frames, mode),
  };
}

const whole = (id: string, opcode: number, size: number, mode?: WriteMode) =>
  sized(id, opcode, size, [{ opcode, payload: payloadOf(opcode, size) }], mode);

function fragmented(id: string, opcode: number, size: number, fragment: number): FrameCase {
  const frames = messageFrames(opcode, chop(payloadOf(opcode, size), fragment));
  return sized(id, opcode, size, frames);
}

/** 1000 messages back to back; the empty text ones and every binary one are refused, so they flood. */
function many(id: string, opcode: number, size: number): FrameCase {
  const refused = opcode === OP.binary || size === 0;
  return {
    id,
    expect: refused
      ? { outcome: 'limit', code: 1008, replies: times(FRAME_MAX_ERRORS, errorReply()) }
      : { outcome: 'open', replies: times(1000, APP_PONG) },
    run: ({ socket }) =>
      socket.send(Array.from({ length: 1000 }, () => ({ opcode, payload: payloadOf(opcode, size) }))),
  };
}

function limitRows(opcode: number, first: number, kind: string, answer: string): FrameRow[] {
  const ids = (group: number) => `9.${group}`;
  return [
    {
      id: ids(first),
      behaviour: `${kind} messages of 64 KiB (the limit), 256 KiB, 1, 4, 8 and 16 MiB: the first ${answer}, the others closed with 1009`,
      cases: [FRAME_MAX_MESSAGE_BYTES, ...OVER].map((size, i) =>
        whole(`${ids(first)}.${i + 1}`, opcode, size),
      ),
    },
    {
      id: ids(first + 2),
      behaviour: `a 64 KiB ${kind} message in fragments of 64 B to 64 KiB: ${answer}; 4 MiB in 64 KiB fragments: 1009`,
      cases: [
        ...FRAGMENT_SIZES.map((fragment, i) =>
          fragmented(`${ids(first + 2)}.${i + 1}`, opcode, FRAME_MAX_MESSAGE_BYTES, fragment),
        ),
        fragmented(`${ids(first + 2)}.7`, opcode, 4 * MIB, 64 * KIB),
      ],
    },
    {
      id: ids(first + 4),
      behaviour: `a 64 KiB ${kind} message written in chops of 64 B to 2 KiB: ${answer}`,
      cases: CHOP_SIZES.map((size, i) =>
        whole(`${ids(first + 4)}.${i + 1}`, opcode, FRAME_MAX_MESSAGE_BYTES, size),
      ),
    },
    {
      id: ids(first + 6),
      behaviour:
        opcode === OP.text
          ? `1000 text messages of 0, 16, 64, 256 B, 1 and 4 KiB back to back: 1000 pongs; the empty ones (not JSON) are a flood: ${FRAME_MAX_ERRORS} \`error\` frames, then 1008`
          : `1000 binary messages of each size back to back: a flood: ${FRAME_MAX_ERRORS} \`error\` frames, then 1008`,
      cases: COUNT_SIZES.map((size, i) => many(`${ids(first + 6)}.${i + 1}`, opcode, size)),
    },
  ];
}

/** Group 9 (limits), adapted to `maxMessageBytes`, and 10 (auto-fragmentation). */
export const LIMIT_ROWS: FrameRow[] = [
  ...limitRows(OP.text, 1, 'text', 'answered'),
  ...limitRows(OP.binary, 2, 'binary', 'refused with an `error` frame'),
  {
    id: '10.1.1',
    behaviour: 'a 64 KiB text message auto-fragmented into 1300-byte frames: answered',
    cases: [
      {
        id: '10.1.1',
        expect: { outcome: 'open', replies: [APP_PONG] },
        run: ({ socket }) => socket.send(fragmentsBy(Buffer.from(pingText(FRAME_MAX_MESSAGE_BYTES)), 1300)),
      },
    ],
  },
];
