import {
  ANSWER_OVERTAKEN,
  APP_PONG,
  errorReply,
  type FrameCase,
  type FrameRow,
  pingText,
  pongReply,
  sendViolation,
} from './frame-case.ts';
import { OP } from './frame-codec.ts';

// Autobahn's sizes for cases 1.1.x and 1.2.x: around the 7-bit, 16-bit and 64-bit length encodings.
const SIZES = [0, 125, 126, 127, 128, 65_535, 65_536];

function textSize(id: string, size: number, chops?: number): FrameCase {
  return {
    id,
    // An empty message is not JSON: the protocol answers it with an error frame and stays open.
    expect: { outcome: 'open', replies: [size === 0 ? errorReply() : APP_PONG] },
    run: ({ socket }) => socket.send([{ opcode: OP.text, payload: pingText(size) }], chops),
  };
}

function binarySize(id: string, size: number, chops?: number): FrameCase {
  return {
    id,
    expect: { outcome: 'open', replies: [errorReply()] },
    run: ({ socket }) => socket.send([{ opcode: OP.binary, payload: Buffer.alloc(size, 0xfe) }], chops),
  };
}

function ping(payload: Uint8Array | string = '') {
  return { opcode: OP.ping, payload };
}

const PONG_PAYLOAD = 'unsolicited pong payload';
const BINARY_PING = Buffer.from([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]);
const tenPings = Array.from({ length: 10 }, (_, i) => `payload-${i}`);

/** Pongs for a subset of the ten pings, in order, the last ping's among them. */
function answersLatest(replies: readonly string[]): boolean {
  const all = tenPings.map((p) => pongReply(p));
  let at = 0;
  for (const reply of replies) {
    at = all.indexOf(reply, at) + 1;
    if (at === 0) return false;
  }
  return replies.at(-1) === all.at(-1);
}

/** Group 1 (framing) and 2 (pings and pongs). */
export const FRAMING_ROWS: FrameRow[] = [
  {
    id: '1.1',
    behaviour:
      'text messages of 0, 125, 126, 127, 128, 65535 and 65536 bytes, and 65536 in 997-octet chops: each answered (a `ping` gets `pong`; the empty one, not JSON, an `error` frame)',
    cases: [...SIZES.map((size, i) => textSize(`1.1.${i + 1}`, size)), textSize('1.1.8', 65_536, 997)],
  },
  {
    id: '1.2',
    behaviour:
      'binary messages of the same sizes: each refused with an `error` frame (`bad_request`), connection kept',
    cases: [...SIZES.map((size, i) => binarySize(`1.2.${i + 1}`, size)), binarySize('1.2.8', 65_536, 997)],
  },
  {
    id: '2.1-2.4',
    behaviour: 'ping without payload, with text, with binary, with 125 bytes: pong with the same payload',
    cases: [
      ['2.1', ''],
      ['2.2', 'Hello, world!'],
      ['2.3', BINARY_PING],
      ['2.4', Buffer.alloc(125, 0xfe)],
    ].map(([id, payload]) => ({
      id: id as string,
      expect: { outcome: 'open', replies: [pongReply(payload as string)] },
      run: ({ socket }) => socket.send([ping(payload as string)]),
    })),
  },
  {
    id: '2.5',
    behaviour: 'ping with 126 bytes (control frames carry at most 125): fail with 1002',
    cases: [
      {
        id: '2.5',
        expect: { outcome: 'fail', code: 1002, replies: [] },
        run: ({ socket }) => socket.send([ping(Buffer.alloc(126, 0xfe))]),
      },
    ],
  },
  {
    id: '2.6',
    behaviour: 'ping with 125 bytes sent in 1-octet chops: pong',
    cases: [
      {
        id: '2.6',
        expect: { outcome: 'open', replies: [pongReply(Buffer.alloc(125, 0xfe))] },
        run: ({ socket }) => socket.send([ping(Buffer.alloc(125, 0xfe))], 1),
      },
    ],
  },
  {
    id: '2.7-2.8',
    behaviour: 'unsolicited pong, without and with payload: ignored',
    cases: [
      {
        id: '2.7',
        expect: { outcome: 'open', replies: [] },
        run: ({ socket }) => socket.send([{ opcode: OP.pong }]),
      },
      {
        id: '2.8',
        expect: { outcome: 'open', replies: [] },
        run: ({ socket }) => socket.send([{ opcode: OP.pong, payload: PONG_PAYLOAD }]),
      },
    ],
  },
  {
    id: '2.9',
    behaviour: 'unsolicited pong, then ping: only the ping is answered',
    cases: [
      {
        id: '2.9',
        expect: { outcome: 'open', replies: [pongReply('ping payload')] },
        run: ({ socket }) => socket.send([{ opcode: OP.pong, payload: PONG_PAYLOAD }, ping('ping payload')]),
      },
    ],
  },
  {
    id: '2.10-2.11',
    behaviour:
      '10 pings with payloads, together and in 1-octet chops: 10 pongs in order, or (RFC 6455 section 5.5.3 allows it) pongs for some, the last among them',
    cases: [undefined, 1].map((chops, i) => ({
      id: `2.${10 + i}`,
      expect: {
        outcome: 'open',
        replies: tenPings.map((p) => pongReply(p)),
        alternatives: [{ replies: answersLatest }],
      },
      run: ({ socket }) =>
        socket.send(
          tenPings.map((p) => ping(p)),
          chops,
        ),
    })),
  },
];

function rsvCase(id: string, rsv: number, mode?: 'frames' | number): FrameCase {
  return {
    id,
    expect: { outcome: 'fail', code: 1002, replies: [APP_PONG], alternatives: [ANSWER_OVERTAKEN] },
    run: (kit) =>
      sendViolation(
        kit,
        [{ opcode: OP.text, payload: pingText() }, { opcode: OP.text, payload: pingText(), rsv }, ping()],
        1,
        mode,
      ),
  };
}

function reservedOpcode(
  id: string,
  opcode: number,
  variant: 'alone' | 'between',
  payload: string,
  mode?: number,
) {
  const frames =
    variant === 'alone'
      ? [{ opcode, payload }]
      : [{ opcode: OP.text, payload: pingText() }, { opcode, payload }, ping()];
  return {
    id,
    expect:
      variant === 'alone'
        ? { outcome: 'fail', code: 1002, replies: [] }
        : { outcome: 'fail', code: 1002, replies: [APP_PONG], alternatives: [ANSWER_OVERTAKEN] },
    run: (kit) => sendViolation(kit, frames, variant === 'alone' ? 0 : 1, mode),
  } satisfies FrameCase;
}

function reservedOpcodes(group: string, first: number): FrameCase[] {
  return [
    reservedOpcode(`${group}.1`, first, 'alone', ''),
    reservedOpcode(`${group}.2`, first + 1, 'alone', 'reserved opcode payload'),
    reservedOpcode(`${group}.3`, first + 2, 'between', ''),
    reservedOpcode(`${group}.4`, first + 3, 'between', 'reserved opcode payload'),
    reservedOpcode(`${group}.5`, first + 4, 'between', 'reserved opcode payload', 1),
  ];
}

/** Group 3 (reserved bits) and 4 (opcodes). */
export const RESERVED_ROWS: FrameRow[] = [
  {
    id: '3.1',
    behaviour: 'text message with RSV = 1 (no extension negotiated): fail with 1002',
    cases: [
      {
        id: '3.1',
        expect: { outcome: 'fail', code: 1002, replies: [] },
        run: ({ socket }) => socket.send([{ opcode: OP.text, payload: pingText(), rsv: 1 }]),
      },
    ],
  },
  {
    id: '3.2-3.4',
    behaviour:
      'a message, then one with RSV = 2, 3, 4, then a ping (together, frame-wise, 1-octet chops): fail with 1002 (the first answered, or overtaken by the close)',
    cases: [rsvCase('3.2', 2), rsvCase('3.3', 3, 'frames'), rsvCase('3.4', 4, 1)],
  },
  {
    id: '3.5-3.7',
    behaviour: 'binary with RSV = 5, ping with RSV = 6, close with RSV = 7: fail with 1002',
    cases: [
      [OP.binary, 5, Buffer.alloc(8, 0xfe)],
      [OP.ping, 6, ''],
      [OP.close, 7, Buffer.from([0x03, 0xe8])],
    ].map(([opcode, rsv, payload], i) => ({
      id: `3.${5 + i}`,
      expect: { outcome: 'fail', code: 1002, replies: [] },
      run: ({ socket }) =>
        socket.send([{ opcode: opcode as number, rsv: rsv as number, payload: payload as Buffer }]),
      // A rejected close frame still counts as the client's close: no probe after it.
      probe: opcode !== OP.close,
    })),
  },
  {
    id: '4.1',
    behaviour:
      'reserved non-control opcodes 3-7, alone or between a message and a ping: fail with 1002 (the message before answered, or overtaken by the close)',
    cases: reservedOpcodes('4.1', 3),
  },
  {
    id: '4.2',
    behaviour: 'reserved control opcodes 11-15, the same ways: fail with 1002',
    cases: reservedOpcodes('4.2', 11),
  },
];
