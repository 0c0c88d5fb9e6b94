import {
  type Expectation,
  errorReply,
  eventReply,
  type FrameCase,
  type FrameRow,
  pongReply,
  publishBytes,
} from './frame-case.ts';
import { chop, encodeFrameSpec, messageFrames, OP } from './frame-codec.ts';

const strict = new TextDecoder('utf-8', { fatal: true });
const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** What the hub answers to a publish whose data string holds `raw` as it is. */
function expectationOf(raw: Buffer): Expectation {
  let text: string;
  try {
    text = strict.decode(raw);
  } catch {
    return { outcome: 'fail', code: 1007, replies: [] };
  }
  // Valid UTF-8 that JSON does not allow raw inside a string (a control character, a quote, a
  // backslash) still reaches the hub: its answer is then the `error` frame for invalid JSON.
  if ([...text].some((c) => c < ' ' || c === '"' || c === '\\')) {
    return { outcome: 'open', replies: [errorReply()] };
  }
  return { outcome: 'open', replies: [eventReply(text)] };
}

/** A case sending `raw` as publish data, the message split into frames at `cuts` (offsets into `raw`). */
function utf8Case(id: string, raw: Buffer, split: 'whole' | 'octets' | number[] = 'whole'): FrameCase {
  return {
    id,
    expect: expectationOf(raw),
    run({ socket, topic }) {
      const message = publishBytes(topic, raw);
      if (split === 'whole') return socket.send([{ opcode: OP.text, payload: message }]);
      if (split === 'octets') return socket.send(messageFrames(OP.text, chop(message, 1)));
      const offset = message.indexOf(raw);
      const bounds = [0, ...split.map((cut) => offset + cut), message.length];
      return socket.send(
        messageFrames(
          OP.text,
          bounds.slice(1).map((end, i) => message.subarray(bounds[i], end)),
        ),
      );
    },
  };
}

function row(id: string, behaviour: string, sequences: Buffer[]): FrameRow {
  return { id, behaviour, cases: sequences.map((raw, i) => utf8Case(`${id}.${i + 1}`, raw)) };
}

const HELLO = utf8('Hello-µ@ßöäüàá-UTF-8!!');
const KOSME = hex('cebae1bdb9cf83cebcceb5');
const EDITED = utf8('edited');
const INCOMPLETE = [
  'c0',
  'e080',
  'f08080',
  'f8808080',
  'fc80808080',
  'df',
  'efbf',
  'f7bfbf',
  'fbbfbfbf',
  'fdbfbfbfbf',
].map(hex);

const range = (from: number, to: number, between = '') =>
  Buffer.from(Array.from({ length: to - from + 1 }, (_, i) => [from + i, ...Buffer.from(between)]).flat());
const nonCharacters = [0xfffe, 0xffff].concat(
  Array.from({ length: 16 }, (_, plane) => [
    (plane + 1) * 0x10000 + 0xfffe,
    (plane + 1) * 0x10000 + 0xffff,
  ]).flat(),
);

/**
 * Autobahn 6.4: the second of three fragments makes the message invalid. A ping sent right after it
 * tells how strict the server is: closing before the pong fails fast (Autobahn's strict pass);
 * answering the pong and closing at the message end is its "non-strict" pass.
 */
function failFast(id: string, parts: [Buffer, Buffer, Buffer], chops: boolean): FrameCase {
  const afterPart2 = 'after part 2';
  return {
    id,
    expect: chops
      ? { outcome: 'fail', code: 1007, replies: [] }
      : {
          outcome: 'fail',
          code: 1007,
          replies: [],
          alternatives: [{ replies: [pongReply(afterPart2)], note: 'non-strict: 1007 at the message end' }],
        },
    async run({ socket, topic, reacted }) {
      const message = publishBytes(topic, Buffer.concat(parts));
      const offset = message.indexOf(parts[0]);
      const first = message.subarray(0, offset + parts[0].length);
      const second = message.subarray(first.length, first.length + parts[1].length);
      const third = message.subarray(first.length + second.length);
      if (!chops) {
        await socket.send([
          ...messageFrames(OP.text, [first, second, third]).slice(0, 2),
          { opcode: OP.ping, payload: afterPart2 },
        ]);
        // A server that failed fast gets nothing more (see sendViolation); one that answered the ping gets the rest.
        if (!(await reacted('pong')))
          await socket.send(messageFrames(OP.text, [first, second, third]).slice(2));
        return;
      }
      // One frame, its bytes written in three pieces cut at the same places.
      const frame = encodeFrameSpec({ opcode: OP.text, payload: message });
      const head = frame.length - message.length;
      await socket.write(frame.subarray(0, head + first.length));
      await socket.write(frame.subarray(head + first.length, head + first.length + second.length));
      await socket.write(frame.subarray(head + first.length + second.length));
    },
  };
}

/** Group 6 (UTF-8 handling), Markus Kuhn's decoder stress test as Autobahn arranges it. */
export const UTF8_ROWS: FrameRow[] = [
  {
    id: '6.1',
    behaviour:
      'empty text message; 3 empty fragments; empty, non-empty, empty fragments: accepted (the empty ones are not JSON: `error` frame)',
    cases: [
      {
        id: '6.1.1',
        expect: { outcome: 'open', replies: [errorReply()] },
        run: ({ socket }) => socket.send([{ opcode: OP.text }]),
      },
      {
        id: '6.1.2',
        expect: { outcome: 'open', replies: [errorReply()] },
        run: ({ socket }) => socket.send(messageFrames(OP.text, ['', '', ''])),
      },
      {
        id: '6.1.3',
        expect: { outcome: 'open', replies: [eventReply('middle frame payload')] },
        run: ({ socket, topic }) =>
          socket.send(messageFrames(OP.text, ['', publishBytes(topic, utf8('middle frame payload')), ''])),
      },
    ],
  },
  {
    id: '6.2',
    behaviour:
      'valid UTF-8 in one frame, split on a code point, in 1-octet fragments (two texts): delivered exactly',
    cases: [
      utf8Case('6.2.1', HELLO),
      utf8Case('6.2.2', HELLO, [utf8('Hello-µ@ßöä').length]),
      utf8Case('6.2.3', HELLO, 'octets'),
      utf8Case('6.2.4', KOSME, 'octets'),
    ],
  },
  {
    id: '6.3',
    behaviour: 'invalid UTF-8 (an encoded surrogate) in one frame and in 1-octet fragments: fail with 1007',
    cases: [
      utf8Case('6.3.1', Buffer.concat([KOSME, hex('eda080'), EDITED])),
      utf8Case('6.3.2', Buffer.concat([KOSME, hex('eda080'), EDITED]), 'octets'),
    ],
  },
  {
    id: '6.4',
    behaviour:
      'a message made invalid (U+110000) in its 2nd of 3 fragments, or 3 chops of one frame: fail with 1007',
    cases: [
      failFast('6.4.1', [KOSME, hex('f4908080'), EDITED], false),
      failFast(
        '6.4.2',
        [Buffer.concat([KOSME, hex('f4')]), hex('90'), Buffer.concat([hex('8080'), EDITED])],
        false,
      ),
      failFast('6.4.3', [KOSME, hex('f4908080'), EDITED], true),
      failFast(
        '6.4.4',
        [Buffer.concat([KOSME, hex('f4')]), hex('90'), Buffer.concat([hex('8080'), EDITED])],
        true,
      ),
    ],
  },
  row('6.5', 'some valid UTF-8 sequences (1- to 4-byte code points): delivered exactly', [
    utf8('hello$world'),
    utf8('hello¢world'),
    utf8('hello€world'),
    utf8('hello\u{24b62}world'),
    KOSME,
  ]),
  row(
    '6.6',
    'every prefix of "κόσμε": the whole code points delivered, the cut ones fail with 1007',
    Array.from({ length: KOSME.length }, (_, i) => KOSME.subarray(0, i + 1)),
  ),
  row(
    '6.7',
    'first sequence of each length (U+0000, U+0080, U+0800, U+10000): accepted (raw U+0000 is not JSON: `error` frame)',
    ['00', 'c280', 'e0a080', 'f0908080'].map(hex),
  ),
  row('6.8', 'first sequence of length 5 and 6 (no such code points): fail with 1007', [
    hex('f888808080'),
    hex('fc8480808080'),
  ]),
  row('6.9', 'last sequence of each length (U+007F, U+07FF, U+FFFF, U+10FFFF): delivered', [
    ...['7f', 'dfbf', 'efbfbf', 'f48fbfbf'].map(hex),
  ]),
  row('6.10', 'last sequence of length 4, 5, 6 beyond U+10FFFF: fail with 1007', [
    ...['f7bfbfbf', 'fbbfbfbfbf', 'fdbfbfbfbfbf'].map(hex),
  ]),
  row(
    '6.11',
    'other boundaries (U+D7FF, U+E000, U+FFFD, U+10FFFF delivered; U+110000 fails with 1007)',
    ['ed9fbf', 'ee8080', 'efbfbd', 'f48fbfbf', 'f4908080'].map(hex),
  ),
  row('6.12', 'unexpected continuation bytes (8 sequences): fail with 1007', [
    ...['80', 'bf', '80bf', '80bf80', '80bf80bf', '80bf80bf80', '80bf80bf80bf'].map(hex),
    range(0x80, 0xbf),
  ]),
  row('6.13', 'lonely start bytes of 2- to 6-byte sequences, each followed by a space: fail with 1007', [
    range(0xc0, 0xdf, ' '),
    range(0xe0, 0xef, ' '),
    range(0xf0, 0xf7, ' '),
    range(0xf8, 0xfb, ' '),
    range(0xfc, 0xfd, ' '),
  ]),
  row('6.14', 'sequences with the last continuation byte missing (10): fail with 1007', INCOMPLETE),
  row('6.15', 'all of those concatenated: fail with 1007', [Buffer.concat(INCOMPLETE)]),
  row('6.16', 'impossible bytes (FE, FF, FE FE FF FF): fail with 1007', ['fe', 'ff', 'fefeffff'].map(hex)),
  row(
    '6.17',
    'overlong "/" in 2 to 6 bytes: fail with 1007',
    ['c0af', 'e080af', 'f08080af', 'f8808080af', 'fc80808080af'].map(hex),
  ),
  row(
    '6.18',
    'maximum overlong sequences: fail with 1007',
    ['c1bf', 'e09fbf', 'f08fbfbf', 'f887bfbfbf', 'fc83bfbfbfbf'].map(hex),
  ),
  row(
    '6.19',
    'overlong NUL: fail with 1007',
    ['c080', 'e08080', 'f0808080', 'f880808080', 'fc8080808080'].map(hex),
  ),
  row(
    '6.20',
    'single UTF-16 surrogates encoded (7): fail with 1007',
    ['eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf'].map(hex),
  ),
  row(
    '6.21',
    'paired UTF-16 surrogates encoded (8): fail with 1007',
    [
      'eda080edb080',
      'eda080edbfbf',
      'edadbfedb080',
      'edadbfedbfbf',
      'edae80edb080',
      'edae80edbfbf',
      'edafbfedb080',
      'edafbfedbfbf',
    ].map(hex),
  ),
  row(
    '6.22',
    'non-characters U+FFFE, U+FFFF and U+nFFFE, U+nFFFF of every plane (34, valid UTF-8): delivered',
    nonCharacters.map((code) => utf8(String.fromCodePoint(code))),
  ),
  row(
    '6.23',
    'specials U+FFF9 to U+FFFF (7, the replacement character among them): delivered',
    Array.from({ length: 7 }, (_, i) => utf8(String.fromCodePoint(0xfff9 + i))),
  ),
];
