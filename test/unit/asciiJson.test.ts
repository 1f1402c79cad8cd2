import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asciiJson } from '../../src/domain/asciiJson';

const ASCII = /^[\x00-\x7f]*$/;

describe('asciiJson', () => {
  it('escapes every character past ASCII, and only those', () => {
    const holder = { holder: 'Société Générale — Zürich 銀行 😀', id: 'a"b\\c' };
    const text = asciiJson(holder);
    expect(text).toMatch(ASCII);
    expect(text).toBe('{"holder":"Soci\\u00e9t\\u00e9 G\\u00e9n\\u00e9rale \\u2014 Z\\u00fcrich \\u9280\\u884c \\ud83d\\ude00","id":"a\\"b\\\\c"}');
    expect(JSON.parse(text)).toEqual(holder);
  });

  it('property: the same JSON value as JSON.stringify, one byte per character, the very same text when that is ASCII', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'grapheme' }), (value, text) => {
        for (const v of [value, { text }]) {
          const plain = JSON.stringify(v);
          const ascii = asciiJson(v);
          expect(ascii).toMatch(ASCII);
          expect(Buffer.byteLength(ascii)).toBe(ascii.length);
          expect(JSON.parse(ascii)).toEqual(JSON.parse(plain));
          if (ASCII.test(plain)) expect(ascii).toBe(plain);
        }
      }),
      { numRuns: 500 },
    );
  });
});
