/**
 * numberPlan.ts answers as libphonenumber does, function by function and for whole numbers
 * (the library's own calls are the oracle here), on random numbers and on the metadata's example
 * numbers of every country, with and without trunk prefixes written after the calling code.
 */
import fc from 'fast-check';
import { PhoneNumber, parsePhoneNumberFromString } from 'libphonenumber-js/core';
import examples from 'libphonenumber-js/examples.mobile.json';
import metadata from 'libphonenumber-js/metadata.max.json';
import { describe, expect, it } from 'vitest';
import { isPossibleInPlan, isValidInPlan, parseE164 } from '../../src/domain/numberPlan';
import { normalizePattern } from '../../src/domain/numbers';

const geographic = metadata.country_calling_codes as Record<string, string[]>;
const callingCodes = [...Object.keys(geographic), ...Object.keys(metadata.nonGeographic)];
/** Trunk prefixes and carrier-code forms of each calling code's plans, to write after the code. */
const prefixes = (cc: string): string[] => {
  const out = new Set<string>(['0', '8', '1']);
  for (const country of geographic[cc] ?? []) {
    const entry = (metadata.countries as Record<string, unknown[]>)[country];
    const national = entry?.[5];
    if (typeof national === 'string') out.add(national);
  }
  return [...out];
};
/** Example mobile numbers (national significant numbers) by calling code. */
const exampleNsn = new Map<string, string[]>();
for (const [country, nsn] of Object.entries(examples as Record<string, string>)) {
  const cc = Object.keys(geographic).find((code) => geographic[code]!.includes(country));
  if (cc) exampleNsn.set(cc, [...(exampleNsn.get(cc) ?? []), nsn]);
}

/** What the library says about `+digits`: the reading as written and libphonenumber's parse. */
function library(text: string) {
  const written = new PhoneNumber(text, metadata);
  const parsed = parsePhoneNumberFromString(text, metadata);
  return {
    valid: written.isValid(),
    possible: written.isPossible(),
    parsed: parsed && { callingCode: parsed.countryCallingCode as string, nationalNumber: parsed.nationalNumber as string, country: parsed.country as string | undefined },
    parsedValid: parsed?.isValid(),
    parsedPossible: parsed?.isPossible(),
  };
}

function ours(text: string, cc: string) {
  const written = text.slice(cc.length + 1);
  const parsed = parseE164(text, cc);
  const plan = parsed && (parsed.country ?? cc);
  return {
    valid: isValidInPlan(cc, written),
    possible: isPossibleInPlan(cc, written),
    parsed,
    parsedValid: parsed && isValidInPlan(plan!, parsed.nationalNumber),
    parsedPossible: parsed && isPossibleInPlan(plan!, parsed.nationalNumber),
  };
}

/** The reading the hub kept before numberPlan.ts, with the library's own calls. */
function oracleReading(text: string) {
  const countriesOf = (cc: string) => geographic[cc] ?? [];
  const readingOf = (pn: PhoneNumber, valid: boolean) => {
    const owners = countriesOf(pn.countryCallingCode);
    return { digits: pn.number.slice(1), country: pn.country ?? (valid || owners.length === 1 ? owners[0] : undefined) ?? null, valid };
  };
  const written = new PhoneNumber(text, metadata);
  if (written.isValid()) return readingOf(written, true);
  let fallback = written.isPossible() ? readingOf(written, false) : null;
  for (let i = 0, current = text; i < 3; i++) {
    const parsed = parsePhoneNumberFromString(current, metadata);
    if (!parsed) break;
    if (parsed.isValid()) return readingOf(parsed, true);
    fallback ??= parsed.isPossible() ? readingOf(parsed, false) : null;
    if (parsed.number === current) break;
    current = parsed.number;
  }
  return fallback;
}

const nationalDigits = (cc: string) =>
  fc.oneof(
    fc.stringMatching(/^[0-9]{1,18}$/),
    fc.tuple(fc.constantFrom(...prefixes(cc)), fc.stringMatching(/^[0-9]{4,14}$/)).map(([p, n]) => p + n),
    ...(exampleNsn.has(cc)
      ? [
          fc.tuple(fc.constantFrom(...exampleNsn.get(cc)!), fc.nat(999), fc.constantFrom('', ...prefixes(cc))).map(([nsn, n, p]) => {
            const tail = String(n).padStart(3, '0');
            return p + nsn.slice(0, Math.max(1, nsn.length - 3)) + tail.slice(Math.max(0, 3 - nsn.length + 1));
          }),
        ]
      : []),
  );
const e164 = fc.constantFrom(...callingCodes).chain((cc) => nationalDigits(cc).map((nsn) => ({ cc, text: `+${cc}${nsn}` })));

describe('numberPlan: libphonenumber answers with compiled patterns', () => {
  it('isValid, isPossible and the parse of +digits agree with the library on random numbers of every calling code', () => {
    fc.assert(
      fc.property(e164, ({ cc, text }) => {
        expect(ours(text, cc)).toEqual(library(text));
      }),
      { numRuns: 2500 },
    );
  });

  it('agrees on every example number, as given and with each trunk prefix written after the calling code', () => {
    let checked = 0;
    for (const [cc, list] of exampleNsn) {
      for (const nsn of list) {
        for (const p of ['', ...prefixes(cc)]) {
          const text = `+${cc}${p}${nsn}`;
          expect(ours(text, cc), text).toEqual(library(text));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('normalizes E.164 numbers to the reading the library-only code kept', () => {
    fc.assert(
      fc.property(e164, ({ text }) => {
        const expected = oracleReading(text);
        const got = normalizePattern(text);
        if (!expected) {
          expect(got.ok).toBe(false);
          return;
        }
        expect(got.ok && { digits: got.value.blocks[0]!.prefix, country: got.value.country, valid: !got.value.unallocated }).toEqual(expected);
      }),
      { numRuns: 1500 },
    );
  });

  it('keeps the cases this was written for: a trunk prefix after the code, a shared calling code, an unknown plan', () => {
    expect(parseE164('+4402012345678', '44')).toEqual({ callingCode: '44', nationalNumber: '2012345678', country: 'GB' });
    expect(parseE164('+14165550123', '1')?.country).toBe('CA');
    expect(isValidInPlan('1', '4165550123')).toBe(false); // the US plan (the main one of +1) does not hold Toronto
    expect(isValidInPlan('CA', '4165550123')).toBe(true);
    expect(parseE164('+12', '1')).toBeUndefined();
    expect(() => isValidInPlan('999', '1')).toThrow();
  });
});
