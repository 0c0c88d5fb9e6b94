import {
  ANSWER_OVERTAKEN,
  APP_PONG,
  type Expectation,
  eventReply,
  type FrameCase,
  type FrameRow,
  pingText,
  publishBytes,
} from './frame-case.ts';
import { closeBody, OP } from './frame-codec.ts';

const close = (payload: Buffer | string = closeBody(1000)) => ({ opcode: OP.close, payload });

/** A client-initiated close: the script ends with a close frame, so no probe follows it. */
function closing(id: string, run: FrameCase['run'], expect: Expectation): FrameCase {
  return { id, expect, run, probe: false };
}

function closeWithCode(id: string, code: number, valid: boolean): FrameCase {
  return {
    ...closing(
      id,
      ({ socket }) => socket.send([close(closeBody(code))]),
      valid
        ? { outcome: 'close', codes: [1000, code], replies: [] }
        : { outcome: 'fail', code: 1002, replies: [] },
    ),
    sentCloseCode: code,
  };
}

// RFC 6455 section 7.4: codes a peer may send (1000-1003, 1007-1011, 3000-4999), as Autobahn picks them.
const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
// Codes no peer may send: out of range, reserved, or meant only for reporting (1005, 1006).
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
const BIG_DATA = 'x'.repeat(60_000);

/** Group 7 (close handling). */
export const CLOSE_ROWS: FrameRow[] = [
  {
    id: '7.1.1-7.1.4',
    behaviour:
      'a message then close; two closes; close then ping; close then a message: one close 1000 back, nothing answered after it (the message before it is answered, or overtaken by the close)',
    cases: [
      closing('7.1.1', ({ socket }) => socket.send([{ opcode: OP.text, payload: pingText() }, close()]), {
        outcome: 'close',
        codes: [1000],
        replies: [APP_PONG],
        alternatives: [ANSWER_OVERTAKEN],
      }),
      closing('7.1.2', ({ socket }) => socket.send([close(), close()]), {
        outcome: 'close',
        codes: [1000],
        replies: [],
      }),
      closing('7.1.3', ({ socket }) => socket.send([close(), { opcode: OP.ping, payload: 'after close' }]), {
        outcome: 'close',
        codes: [1000],
        replies: [],
      }),
      closing('7.1.4', ({ socket }) => socket.send([close(), { opcode: OP.text, payload: pingText() }]), {
        outcome: 'close',
        codes: [1000],
        replies: [],
      }),
    ],
  },
  {
    id: '7.1.5',
    behaviour:
      'the first fragment of a message, close, the last fragment: close 1000, the message never answered',
    cases: [
      closing(
        '7.1.5',
        ({ socket }) =>
          socket.send([
            { opcode: OP.text, payload: pingText().slice(0, 5), fin: false },
            close(),
            { opcode: OP.continuation, payload: pingText().slice(5) },
          ]),
        { outcome: 'close', codes: [1000], replies: [] },
      ),
    ],
  },
  {
    id: '7.1.6',
    behaviour:
      'a 60 KB publish, close and a ping back to back: close 1000, the ping never answered; the event comes first or not (Autobahn leaves it to the implementation)',
    cases: [
      closing(
        '7.1.6',
        ({ socket, topic }) =>
          socket.send([
            { opcode: OP.text, payload: publishBytes(topic, Buffer.from(BIG_DATA)) },
            close(),
            { opcode: OP.ping, payload: 'after close' },
          ]),
        {
          outcome: 'close',
          codes: [1000],
          replies: [eventReply(BIG_DATA)],
          alternatives: [{ replies: [] }],
        },
      ),
    ],
  },
  {
    id: '7.3.1',
    behaviour: 'close without a payload: closed (an empty close or 1000 back)',
    cases: [
      closing('7.3.1', ({ socket }) => socket.send([close('')]), {
        outcome: 'close',
        codes: [null, 1000],
        replies: [],
      }),
    ],
  },
  {
    id: '7.3.2',
    behaviour: 'close with a 1-byte payload: fail with 1002',
    cases: [
      closing('7.3.2', ({ socket }) => socket.send([close(Buffer.from([0x03]))]), {
        outcome: 'fail',
        code: 1002,
        replies: [],
      }),
    ],
  },
  {
    id: '7.3.3-7.3.5',
    behaviour: 'close 1000 without a reason, with "Hello World!", with a 123-byte reason: close 1000 back',
    cases: ['', 'Hello World!', '*'.repeat(123)].map((reason, i) =>
      closing(`7.3.${3 + i}`, ({ socket }) => socket.send([close(closeBody(1000, reason))]), {
        outcome: 'close',
        codes: [1000],
        replies: [],
      }),
    ),
  },
  {
    id: '7.3.6',
    behaviour: 'close with a 124-byte reason (payload over 125): fail with 1002',
    cases: [
      closing('7.3.6', ({ socket }) => socket.send([close(closeBody(1000, '*'.repeat(124)))]), {
        outcome: 'fail',
        code: 1002,
        replies: [],
      }),
    ],
  },
  {
    id: '7.5.1',
    behaviour: 'close 1000 with an invalid UTF-8 reason: fail with 1007',
    cases: [
      closing(
        '7.5.1',
        ({ socket }) =>
          socket.send([
            close(closeBody(1000, Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex'))),
          ]),
        { outcome: 'fail', code: 1007, replies: [] },
      ),
    ],
  },
  {
    id: '7.7',
    behaviour: `close with each valid code (${VALID_CODES.join(', ')}): close 1000 or the same code back`,
    cases: VALID_CODES.map((code, i) => closeWithCode(`7.7.${i + 1}`, code, true)),
  },
  {
    id: '7.9',
    behaviour: `close with each invalid code (${INVALID_CODES.join(', ')}): fail with 1002`,
    cases: INVALID_CODES.map((code, i) => closeWithCode(`7.9.${i + 1}`, code, false)),
  },
  {
    id: '7.13',
    behaviour:
      'close with code 5000 and 65535 (outcome left open by the RFC): whatever happens, the server serves on',
    cases: [5000, 65_535].map((code, i) => ({
      ...closing(`7.13.${i + 1}`, ({ socket }) => socket.send([close(closeBody(code))]), { outcome: 'any' }),
      sentCloseCode: code,
    })),
  },
];
