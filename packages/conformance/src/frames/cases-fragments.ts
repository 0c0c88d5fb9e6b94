import {
  ANSWER_OVERTAKEN,
  APP_PONG,
  type FrameCase,
  type FrameRow,
  pingText,
  pongReply,
  sendViolation,
} from './frame-case.ts';
import { type FrameSpec, fragmentsOf, messageFrames, OP } from './frame-codec.ts';
import type { WriteMode } from './frame-socket.ts';

const PING_BYTES = Buffer.from(pingText(40));
const twoFragments = (): FrameSpec[] => messageFrames(OP.text, fragmentsOf(PING_BYTES, 2));
const stray = (fin: boolean): FrameSpec => ({
  opcode: OP.continuation,
  payload: 'non-continuation payload',
  fin,
});

function fragmented(id: string, mode: WriteMode | undefined, withPing: boolean): FrameCase {
  const [first, second] = twoFragments() as [FrameSpec, FrameSpec];
  const frames = withPing ? [first, { opcode: OP.ping, payload: 'pongme!' }, second] : [first, second];
  return {
    id,
    expect: { outcome: 'open', replies: withPing ? [pongReply('pongme!'), APP_PONG] : [APP_PONG] },
    run: ({ socket }) => socket.send(frames, mode),
  };
}

/** A case whose `frames[violation]` (default: the first) must fail the connection. */
function failing(
  id: string,
  frames: FrameSpec[],
  mode?: WriteMode,
  replies: string[] = [],
  violation = 0,
): FrameCase {
  const alternatives = replies.length > 0 ? [ANSWER_OVERTAKEN] : [];
  return {
    id,
    expect: { outcome: 'fail', code: 1002, replies, alternatives },
    run: (kit) => sendViolation(kit, frames, violation, mode),
  };
}

const modes: (WriteMode | undefined)[] = [undefined, 'frames', 1];

/**
 * Five fragments with two pings among them (Autobahn 5.19 and 5.20). The first pong must come
 * back while the message is still open: the script waits for it before the remaining fragments.
 */
function fivePieces(id: string, mode: WriteMode | undefined): FrameCase {
  const frames = messageFrames(OP.text, fragmentsOf(PING_BYTES, 5));
  return {
    id,
    expect: { outcome: 'open', replies: [pongReply('pongme 1!'), pongReply('pongme 2!'), APP_PONG] },
    async run({ socket, waitFor }) {
      await socket.send([frames[0]!, frames[1]!, { opcode: OP.ping, payload: 'pongme 1!' }], mode);
      await waitFor('pong', 1);
      await socket.send(
        [frames[2]!, frames[3]!, { opcode: OP.ping, payload: 'pongme 2!' }, frames[4]!],
        mode,
      );
    },
  };
}

/** Group 5 (fragmentation). */
export const FRAGMENT_ROWS: FrameRow[] = [
  {
    id: '5.1-5.2',
    behaviour: 'a ping, and a pong, in 2 fragments (control frames must not be fragmented): fail with 1002',
    cases: [OP.ping, OP.pong].map((opcode, i) =>
      failing(`5.${i + 1}`, [
        { opcode, payload: 'fragment1', fin: false },
        { opcode: OP.continuation, payload: 'fragment2' },
      ]),
    ),
  },
  {
    id: '5.3-5.5',
    behaviour: 'a text message in 2 fragments (together, frame-wise, 1-octet chops): answered',
    cases: modes.map((mode, i) => fragmented(`5.${3 + i}`, mode, false)),
  },
  {
    id: '5.6-5.8',
    behaviour: 'the same with a ping between the fragments: pong first, then the answer',
    cases: modes.map((mode, i) => fragmented(`5.${6 + i}`, mode, true)),
  },
  {
    id: '5.9-5.11',
    behaviour:
      'a continuation frame (FIN set) with nothing to continue, then a message (3 chop modes): fail with 1002',
    cases: modes.map((mode, i) =>
      failing(`5.${9 + i}`, [stray(true), { opcode: OP.text, payload: pingText() }], mode),
    ),
  },
  {
    id: '5.12-5.14',
    behaviour: 'the same with FIN clear on the stray continuation: fail with 1002',
    cases: modes.map((mode, i) =>
      failing(`5.${12 + i}`, [stray(false), { opcode: OP.text, payload: pingText() }], mode),
    ),
  },
  {
    id: '5.15',
    behaviour:
      'a message in 2 fragments, a stray continuation (FIN clear), a message: fail with 1002 (the first answered, or overtaken by the close)',
    cases: [
      failing(
        '5.15',
        [...twoFragments(), stray(false), { opcode: OP.text, payload: pingText() }],
        undefined,
        [APP_PONG],
      ),
    ],
  },
  {
    id: '5.16-5.17',
    behaviour:
      'twice: a stray continuation (FIN clear, then set), then a message in 2 fragments: fail with 1002',
    cases: [false, true].map((fin, i) =>
      failing(`5.${16 + i}`, [stray(fin), ...twoFragments(), stray(fin), ...twoFragments()]),
    ),
  },
  {
    id: '5.18',
    behaviour: 'a message in 2 fragments, both with the text opcode: fail with 1002',
    cases: [
      failing('5.18', [
        { opcode: OP.text, payload: PING_BYTES.subarray(0, 10), fin: false },
        { opcode: OP.text, payload: PING_BYTES.subarray(10) },
      ]),
    ],
  },
  {
    id: '5.19-5.20',
    behaviour:
      'a message in 5 fragments with 2 pings among them (together, frame-wise): each ping answered at once, mid-message, then the message',
    cases: [fivePieces('5.19', undefined), fivePieces('5.20', 'frames')],
  },
];
