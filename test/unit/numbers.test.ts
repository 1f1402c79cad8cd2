import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { getCountries, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { type Block, blockKey, parseBlockKey, rangeToBlocks } from '../../src/domain/blocks';
import {
  type NormalizeOptions,
  REJECTION_CODES,
  normalizeNumber,
  normalizePattern,
} from '../../src/domain/numbers';

const PK = { country: 'PK' };
const US = { country: 'US' };

function keysOf(input: string, opts?: NormalizeOptions): string[] | string {
  const r = normalizePattern(input, opts);
  return r.ok ? r.value.blocks.map(blockKey) : `${r.code}: ${r.message}`;
}

/** Real, valid numbers of every country libphonenumber has an example for. */
const EXAMPLES = getCountries().flatMap((c) => {
  const n = getExampleNumber(c, examples);
  return n
    ? [{ country: c, digits: n.number.slice(1), cc: n.countryCallingCode, national: n.formatNational(), intl: n.formatInternational() }]
    : [];
});

describe('normalizePattern accepts what partners send', () => {
  it.each<[string, NormalizeOptions | undefined, string[]]>([
    // E.164, with the punctuation people write
    ['+923001234567', undefined, ['+923001234567']],
    ['+92 300 123-4567', undefined, ['+923001234567']],
    ['+92 (300) 123.4567', undefined, ['+923001234567']],
    ['+92-300-123-4567', undefined, ['+923001234567']],
    ['(+92) 300/1234567', undefined, ['+923001234567']],
    ['  +923001234567\t', undefined, ['+923001234567']],
    ['+44 (0) 20 7946 0000', undefined, ['+442079460000']],
    ['+92 (0)300 1234567', undefined, ['+923001234567']],
    // international (IDD) prefixes
    ['00923001234567', undefined, ['+923001234567']],
    ['00923001234567', PK, ['+923001234567']],
    ['00923001234567', { country: 'DE' }, ['+923001234567']],
    ['011 44 20 7946 0000', US, ['+442079460000']],
    ['011 44 20 7946 0000', undefined, ['+442079460000']],
    ['011 44 20 7946 0000', { country: 'GB', defaultCountry: 'US' }, ['+442079460000']],
    ['0011 61 412 345 678', { country: 'AU' }, ['+61412345678']],
    // national forms: item country, else the partner's
    ['0300 1234567', PK, ['+923001234567']],
    ['0300 1234567', { defaultCountry: 'PK' }, ['+923001234567']],
    ['0300-1234567', { country: 'pk', defaultCountry: 'US' }, ['+923001234567']],
    ['(201) 555-0123', US, ['+12015550123']],
    ['8 800 555 35 35', { country: 'RU' }, ['+78005553535']],
    ['923001234567', PK, ['+923001234567']],
    // tel: and sip: URIs
    ['tel:+92-300-123-4567', undefined, ['+923001234567']],
    ['TEL:+92-300-123-4567;ext=12', undefined, ['+923001234567']],
    ['tel:0300-1234567;phone-context=+92', undefined, ['+923001234567']],
    ['tel:0300-1234567;phone-context=example.com', PK, ['+923001234567']],
    ['sip:+923001234567@carrier.example;user=phone', undefined, ['+923001234567']],
    ['sips:+923001234567@carrier.example;user=phone', undefined, ['+923001234567']],
    ['sip:+92-300-1234567;npdi@carrier.example;user=phone', undefined, ['+923001234567']],
    ['sip:03001234567@carrier.example;user=phone', PK, ['+923001234567']],
    // NANP NPA-NXX-X blocks
    ['212-555-1', US, ['+12125551XXX']],
    ['212-555-12', US, ['+121255512XX']],
    ['212-555-123', { defaultCountry: 'US' }, ['+1212555123X']],
    ['212-555-1XXX', US, ['+12125551XXX']],
    ['416-555-1', { country: 'CA' }, ['+14165551XXX']],
    ['+1 212-555-1', undefined, ['+12125551XXX']],
    ['+1 212-555-1XXX', undefined, ['+12125551XXX']],
    // X wildcards
    ['+92300123XXXX', undefined, ['+92300123XXXX']],
    ['+92 300 123 xxxx', undefined, ['+92300123XXXX']],
    ['+92300123xXxX', undefined, ['+92300123XXXX']],
    ['0300 123 XXXX', PK, ['+92300123XXXX']],
    ['00 92 300 123 XXXX', undefined, ['+92300123XXXX']],
    ['+44 20 7946 XXXX', undefined, ['+44207946XXXX']],
    // open prefixes
    ['+92300123*', undefined, ['+92300123*']],
    ['+92 300 123 *', undefined, ['+92300123*']],
    ['0300123*', PK, ['+92300123*']],
    ['8 800 555*', { country: 'RU' }, ['+7800555*']],
    ['+1212555*', undefined, ['+1212555*']],
    // ranges
    ['+923001230000-+923001239999', undefined, ['+92300123XXXX']],
    ['+923001230000 - +923001239999', undefined, ['+92300123XXXX']],
    ['+923001230000..+923001231999', undefined, ['+923001230XXX', '+923001231XXX']],
    ['+923001230000 .. +923001231999', undefined, ['+923001230XXX', '+923001231XXX']],
    ['03001230000-03001239999', PK, ['+92300123XXXX']],
    ['0300 1230000 - 0300 1239999', PK, ['+92300123XXXX']],
    ['923001230000-923001239999', PK, ['+92300123XXXX']],
    ['+923001234567..+923001234567', undefined, ['+923001234567']],
    [
      '+923001234560..+923001234572',
      undefined,
      ['+92300123456X', '+923001234570', '+923001234571', '+923001234572'],
    ],
    ['+12125550000..+12125551999', undefined, ['+12125550XXX', '+12125551XXX']],
  ])('%j %o -> %j', (input, opts, keys) => {
    expect(keysOf(input, opts)).toEqual(keys);
  });

  it.each<[string, NormalizeOptions | undefined, string | null, string, boolean]>([
    ['+923001234567', undefined, 'PK', '92', false],
    ['+9230012300000', undefined, 'PK', '92', true],
    ['+15555555555', undefined, null, '1', true],
    ['+18095551234', undefined, 'DO', '1', false],
    ['+80012345678', undefined, null, '800', false],
    ['+92300123XXXX', undefined, 'PK', '92', false],
    ['+1809555*', undefined, 'DO', '1', false],
    ['+1212555*', undefined, null, '1', false],
    ['+7 701 XXX XXXX', undefined, 'KZ', '7', false],
    ['0300123*', PK, 'PK', '92', false],
    ['+923001230000..+923001231999', undefined, 'PK', '92', false],
  ])('%j %o is country %s, calling code %s, unallocated %s', (input, opts, country, callingCode, unallocated) => {
    const r = normalizePattern(input, opts);
    expect(r.ok && r.value).toMatchObject({ country, callingCode, unallocated });
  });
});

describe('normalizePattern: a dash is a range separator only when the rule says so', () => {
  it.each<[string, NormalizeOptions | undefined, string[]]>([
    ['+92-300-123-4567', undefined, ['+923001234567']], // several dashes: separators
    ['+92300-1234567', undefined, ['+923001234567']], // one dash, 5 vs 7 digits: separator
    ['0300-1234567', PK, ['+923001234567']], // one dash, 4 vs 7 digits: separator
    ['212-555-1', US, ['+12125551XXX']], // NPA-NXX-X: separators
    ['923001230000-923001239999', PK, ['+92300123XXXX']], // one dash, 12 vs 12 digits: range
    ['+923001230000-+923001239999', undefined, ['+92300123XXXX']], // dash then '+': range
  ])('%j %o -> %j', (input, opts, keys) => {
    expect(keysOf(input, opts)).toEqual(keys);
  });
});

const REJECTIONS: [string, NormalizeOptions | undefined, string][] = [
  ['+923001234', undefined, 'invalid_number'],
    ['+9230012345678901', undefined, 'invalid_number'],
    ['+999123456', undefined, 'invalid_number'],
    ['+92', undefined, 'invalid_number'],
    ['+9*', undefined, 'invalid_number'],
    ['+92300123XXXXXXXX', undefined, 'invalid_number'],
    ['+92300123456789012345*', undefined, 'invalid_number'],
    ['00923001234567', US, 'invalid_number'],
    ['212-555-1', PK, 'invalid_number'],
    ['sip:alice@carrier.example', undefined, 'invalid_number'],
    ['sip:carrier.example;user=phone', undefined, 'invalid_number'],
    ['tel:hello', undefined, 'invalid_number'],
    ['0300 1234567', undefined, 'country_required'],
    ['0300123*', undefined, 'country_required'],
    ['0300 123 XXXX', undefined, 'country_required'],
    ['212-555-1', undefined, 'country_required'],
    ['03001230000-03001239999', undefined, 'country_required'],
    ['+92*', undefined, 'pattern_too_broad'],
    ['+923*', undefined, 'pattern_too_broad'],
    ['+92XXXXXXXXXX', undefined, 'pattern_too_broad'],
    ['+923XXXXXXXXX', undefined, 'pattern_too_broad'],
    ['03*', PK, 'pattern_too_broad'],
    ['+923000000000..+923999999999', undefined, 'pattern_too_broad'],
    ['+923001230000-+92300123999', undefined, 'range_length_mismatch'],
    ['+923001230000..+9230012399999', undefined, 'range_length_mismatch'],
    ['+923001239999..+923001230000', undefined, 'range_reversed'],
    ['+923001239999-+923001230000', undefined, 'range_reversed'],
    ['+923001234567', { country: 'ZZ' }, 'unknown_country'],
    ['0300 1234567', { defaultCountry: 'ZZ' }, 'unknown_country'],
    ['0300 1234567', { country: 'XX', defaultCountry: 'PK' }, 'unknown_country'],
    ['hello', undefined, 'invalid_pattern'],
    ['', undefined, 'invalid_pattern'],
    ['   ', undefined, 'invalid_pattern'],
    ['+92 300 abc 4567', undefined, 'invalid_pattern'],
    ['++923001234567', undefined, 'invalid_pattern'],
    ['+92+3001234567', undefined, 'invalid_pattern'],
    ['+9230X1234567', undefined, 'invalid_pattern'],
    ['+92300123X*', undefined, 'invalid_pattern'],
    ['+92300123*5', undefined, 'invalid_pattern'],
    ['+92300123**', undefined, 'invalid_pattern'],
    ['1-800-FLOWERS', US, 'invalid_pattern'],
    ['+923001234567 ext. 12', undefined, 'invalid_pattern'],
    ['9'.repeat(300), undefined, 'invalid_pattern'],
    ['+923001230000..+92300123XXXX', undefined, 'invalid_pattern'],
    ['+923001230000..+923001239999..+923001239999', undefined, 'invalid_pattern'],
    ['+12015550123..+79123456789', undefined, 'invalid_pattern'],
];

describe('normalizePattern rejects with a stable code', () => {
  it.each(REJECTIONS)('%j %o -> %s', (input, opts, code) => {
    const r = normalizePattern(input, opts);
    expect(r.ok ? 'accepted' : r.code).toBe(code);
    if (!r.ok) expect(r.message.length).toBeGreaterThan(0);
  });

  it('has a case for every rejection code', () => {
    expect(new Set(REJECTIONS.map(([, , code]) => code))).toEqual(new Set(REJECTION_CODES));
  });
});

describe('normalizeNumber', () => {
  it.each<[string, NormalizeOptions | undefined, string]>([
    ['+92 300 123-4567', undefined, '923001234567'],
    ['00923001234567', undefined, '923001234567'],
    ['011 44 20 7946 0000', US, '442079460000'],
    ['0300 1234567', { defaultCountry: 'PK' }, '923001234567'],
    ['tel:+92-300-123-4567', undefined, '923001234567'],
    ['sip:+923001234567@carrier.example;user=phone', undefined, '923001234567'],
    ['+9230012300000', undefined, '9230012300000'],
  ])('%j %o -> %s', (input, opts, digits) => {
    expect(normalizeNumber(input, opts)).toEqual({ ok: true, digits });
  });

  it.each<[string, NormalizeOptions | undefined, string]>([
    ['+92300123XXXX', undefined, 'invalid_pattern'],
    ['+92300123*', undefined, 'invalid_pattern'],
    ['+923001230000-+923001239999', undefined, 'invalid_pattern'],
    ['212-555-1', US, 'invalid_number'],
  ['+923001234', undefined, 'invalid_number'],
    ['0300 1234567', undefined, 'country_required'],
    ['+923001234567', { country: 'ZZ' }, 'unknown_country'],
    ['', undefined, 'invalid_pattern'],
  ])('%j %o -> %s', (input, opts, code) => {
    const r = normalizeNumber(input, opts);
    expect(r.ok ? 'accepted' : r.code).toBe(code);
  });
});

describe('normalizeNumber of +digits', () => {
  // Lookups read `+` and digits without scanning them first: the answer must stay the one the
  // general reader gives (normalizePattern reads a single number exactly as normalizeNumber did).
  const plusDigits = fc
    .tuple(fc.constantFrom(...EXAMPLES), fc.nat(), fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 4 }))
    .chain(([e, cut, tail]) =>
      fc.constantFrom(`+${e.digits}`, `+${e.digits.slice(0, e.cc.length + (cut % (e.digits.length - e.cc.length + 1)))}${tail}`, ` +${e.digits} `, `+0${e.digits}`),
    );
  const optsArb = fc.constantFrom<NormalizeOptions | undefined>(undefined, {}, { defaultCountry: 'GB' }, { country: '', defaultCountry: 'ZZ' }, { country: 'ZZ' }, PK);

  it('property: answers as the general reader does, digits or rejection alike', () => {
    fc.assert(
      fc.property(fc.oneof(plusDigits, fc.string({ unit: fc.constantFrom(...'+0123456789'), maxLength: 20 })), optsArb, (input, opts) => {
        const p = normalizePattern(input, opts);
        const expected = p.ok ? { ok: true, digits: p.value.blocks[0]!.prefix } : p;
        expect(normalizeNumber(input, opts)).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
    expect(normalizeNumber(`+${'9'.repeat(300)}`)).toMatchObject({ ok: false, code: 'invalid_pattern' });
  });
});

describe('normalizePattern properties', () => {
  /** A number, block or prefix cut from a real example number. */
  const canonicalArb = fc
    .tuple(fc.constantFrom(...EXAMPLES), fc.nat(), fc.constantFrom('number', 'block', 'prefix'))
    .map(([e, cut, kind]): Block => {
      if (kind === 'number') return { prefix: e.digits, length: e.digits.length };
      const fixed = e.cc.length + 2 + (cut % (e.digits.length - e.cc.length - 2));
      return { prefix: e.digits.slice(0, fixed), length: kind === 'block' ? e.digits.length : null };
    });

  it('normalizing a canonical key gives back exactly its block', () => {
    fc.assert(
      fc.property(canonicalArb, (b) => {
        const r = normalizePattern(blockKey(b));
        expect(r.ok && r.value.blocks).toEqual([b]);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with libphonenumber on country and validity for every example number', () => {
    for (const e of EXAMPLES) {
      const r = normalizePattern(`+${e.digits}`);
      const ref = parsePhoneNumberFromString(`+${e.digits}`)!;
      expect(r.ok && r.value).toMatchObject({ country: ref.country ?? null, callingCode: e.cc, unallocated: false });
    }
  });

  it("a range's blocks are rangeToBlocks of its ends and cover exactly the range", () => {
    const rangeArb = fc
      .tuple(fc.constantFrom(...EXAMPLES), fc.integer({ min: 1, max: 4 }), fc.nat(9999), fc.nat(9999))
      .map(([e, k, a, b]) => {
        const tail = (n: number) => String(n % 10 ** k).padStart(k, '0');
        const [lo, hi] = [e.digits.slice(0, -k) + tail(a), e.digits.slice(0, -k) + tail(b)].sort();
        return { lo: lo!, hi: hi!, cc: e.cc };
      })
      // Only ends that are canonical numbers themselves (libphonenumber may rewrite others).
      .filter(({ lo, hi }) =>
        [lo, hi].every((d) => {
          const r = normalizeNumber(`+${d}`);
          return r.ok && r.digits === d;
        }),
      );
    fc.assert(
      fc.property(rangeArb, ({ lo, hi, cc }) => {
        const r = normalizePattern(`+${lo}..+${hi}`);
        const expected = rangeToBlocks(lo, hi);
        // Short national numbers (e.g. +290 8000..8999) can make a range too broad.
        if (expected.some((b) => b.prefix.length < cc.length + 2)) {
          expect(r.ok ? 'accepted' : r.code).toBe('pattern_too_broad');
          return;
        }
        expect(r.ok && r.value.blocks).toEqual(expected);
        const count = expected.reduce((n, b) => n + 10n ** BigInt((b.length ?? 0) - b.prefix.length), 0n);
        expect(count).toBe(BigInt(hi) - BigInt(lo) + 1n);
      }),
      { numRuns: 500 },
    );
  });

  const phoneish = fc
    .tuple(
      fc.constantFrom('', '+', '+92', '+1', '00', '011', 'tel:', 'sip:', '0'),
      fc.array(fc.constantFrom(...'0123456789 -.()+xX*'.split(''), '..', 'a'), { maxLength: 20 }),
    )
    .map(([head, parts]) => head + parts.join(''));
  const optsArb = fc.constantFrom<NormalizeOptions | undefined>(undefined, PK, US, { defaultCountry: 'GB' });

  it('never throws: any input is accepted as canonical blocks or rejected with a known code', () => {
    fc.assert(
      fc.property(fc.oneof(phoneish, fc.string(), fc.string({ unit: 'binary' })), optsArb, (input, opts) => {
        const r = normalizePattern(input, opts);
        if (!r.ok) {
          expect(REJECTION_CODES).toContain(r.code);
          return;
        }
        expect(r.value.blocks.length).toBeGreaterThan(0);
        for (const b of r.value.blocks) {
          expect(parseBlockKey(blockKey(b))).toEqual(b);
          expect(b.prefix.startsWith(r.value.callingCode)).toBe(true);
          expect(b.prefix.length).toBeGreaterThanOrEqual(r.value.callingCode.length + 2);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('is idempotent on realistic input: each accepted block normalizes back to itself', () => {
    const realistic = fc
      .tuple(fc.constantFrom(...EXAMPLES), fc.constantFrom('intl', 'national', 'idd'), fc.nat(6), fc.constantFrom('', 'X', '*', '0'))
      .map(([e, form, cut, tail]): [string, NormalizeOptions] => {
        const text = form === 'intl' ? e.intl : form === 'national' ? e.national : `00${e.digits}`;
        const kept = cut === 0 ? text : text.slice(0, -cut) + (tail === '*' ? '*' : tail.repeat(cut));
        return [kept, { country: e.country }];
      });
    fc.assert(
      fc.property(realistic, ([input, opts]) => {
        const r = normalizePattern(input, opts);
        if (!r.ok) return;
        for (const b of r.value.blocks) expect(keysOf(blockKey(b))).toEqual([blockKey(b)]);
      }),
      { numRuns: 3000 },
    );
  });

  it('is idempotent: each accepted block normalizes back to itself', () => {
    fc.assert(
      fc.property(phoneish, optsArb, (input, opts) => {
        const r = normalizePattern(input, opts);
        if (!r.ok) return;
        for (const b of r.value.blocks) expect(keysOf(blockKey(b))).toEqual([blockKey(b)]);
      }),
      { numRuns: 3000 },
    );
  });
});
