import fc from 'fast-check';

/**
 * One "unit" of hostile text: line breaks of every kind, the JavaScript-only separators, lone
 * surrogates, NUL, BOM, quotes and backslashes, SSE field names, prototype keys, plus any UTF-16
 * code unit and any full grapheme.
 */
export const nastyUnit: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '\n',
    '\r',
    '\r\n',
    '\n\n',
    '\u2028',
    '\u2029',
    '\ud800',
    '\udfff',
    '\udc00\ud800',
    '\0',
    '\ufeff',
    '"',
    '\\',
    '\\u0000',
    'data: ',
    'id: ',
    'event: close',
    'retry: 1',
    ':',
    ' ',
    '__proto__',
    'constructor',
    'prototype',
    '}{',
  ),
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
);

/** Any string built from hostile units. */
export const nastyString: fc.Arbitrary<string> = fc.string({ unit: nastyUnit, maxLength: 40 });

/** Any JSON value whose keys and strings are hostile, including `__proto__` and `constructor` keys. */
export const nastyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3, stringUnit: nastyUnit });

/** Splits a string or byte array at `cuts` (taken modulo its length + 1); pieces may be empty. */
export function splitAt<T extends string | Uint8Array>(whole: T, cuts: readonly number[]): T[] {
  const points = cuts.map((c) => c % (whole.length + 1)).sort((a, b) => a - b);
  const bounds = [0, ...points, whole.length];
  return bounds.slice(1).map((end, i) => whole.slice(bounds[i], end) as T);
}

/** Cut points for `splitAt`. */
export const cuts: fc.Arbitrary<number[]> = fc.array(fc.nat(), { maxLength: 16 });

/** The topic alphabet of PROTOCOL.md. */
export const TOPIC_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~:/-';
const topicChar = fc.constantFrom(...TOPIC_ALPHABET);

/** Any valid topic name. */
export const validTopic: fc.Arbitrary<string> = fc.string({ unit: topicChar, minLength: 1, maxLength: 128 });

/** Text that is nearly a `topics` list: topic characters and commas, with the odd hostile unit. */
export const topicListText: fc.Arbitrary<string> = fc.string({
  unit: fc.oneof(
    { weight: 12, arbitrary: topicChar },
    { weight: 3, arbitrary: fc.constant(',') },
    { weight: 1, arbitrary: nastyUnit },
  ),
  maxLength: 300,
});

const epochChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789');

/** Any epoch the log could issue. */
export const validEpoch: fc.Arbitrary<string> = fc.string({ unit: epochChar, minLength: 1, maxLength: 32 });

/** Text that is nearly an event id: wrong case, extra dashes, leading zeros, unsafe integers, decimals. */
export const eventIdLike: fc.Arbitrary<string> = fc.oneof(
  nastyString,
  fc
    .tuple(validEpoch, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }))
    .map(([epoch, seq]) => `${epoch}-${seq}`),
  fc
    .tuple(
      fc.string({ unit: fc.oneof(epochChar, fc.constantFrom('A', 'Z', '-', '_', ' ', 'é')), maxLength: 34 }),
      fc.constantFrom('-', '--', '_', '', ' -'),
      fc.oneof(
        fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String),
        fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 18 }),
        fc.constantFrom(
          '0',
          '00',
          '01',
          '-1',
          '1.5',
          '1e3',
          ' 1',
          '1 ',
          '+1',
          '9007199254740991',
          '9007199254740992',
        ),
      ),
    )
    .map(([epoch, dash, seq]) => `${epoch}${dash}${seq}`),
);

/** Units of text that looks like an event stream: field names, colons, spaces, every line end, BOM, NUL. */
export const sseUnit: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'data',
      'event',
      'id',
      'retry',
      ':',
      ': ',
      ' ',
      'data: ',
      'id: ',
      'event: ',
      'retry: ',
      '12',
      '7',
      'x',
    ),
  },
  { weight: 3, arbitrary: fc.constantFrom('\n', '\r', '\r\n', '\n\n') },
  { weight: 1, arbitrary: fc.constantFrom('\ufeff', '\0', 'é', '🎉', '\ud800') },
  { weight: 1, arbitrary: nastyUnit },
);

const sseValue = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('x', '12', '7', ' ', ':', 'é', '🎉', '\0', '\ufeff', 'data') },
    { weight: 1, arbitrary: nastyUnit },
  ),
  maxLength: 8,
});

/** A field line (often well-formed, sometimes a near miss) with one of the three line ends. */
const sseLine = fc
  .tuple(
    fc.constantFrom('data', 'data', 'event', 'id', 'retry', '', 'dat', 'DATA', ' data', '\ufeffdata'),
    fc.constantFrom(':', ': ', ': ', '', ':  '),
    sseValue,
    fc.constantFrom('\n', '\r', '\r\n'),
  )
  .map((parts) => parts.join(''));

/** Text that looks like an event stream: field lines, blank lines and stray units, well-formed or not. */
export const sseText: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: sseLine },
      { weight: 3, arbitrary: fc.constantFrom('\n', '\r\n', '\r') },
      { weight: 1, arbitrary: sseUnit },
    ),
    { maxLength: 14 },
  )
  .map((pieces) => pieces.join(''));
