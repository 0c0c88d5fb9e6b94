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
