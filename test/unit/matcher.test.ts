import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pattern } from '../../schemas/patterns';
import { blockContains, blockKey, blockKind } from '../../src/domain/blocks';
import { PrefixMatcher } from '../../src/domain/matcher';
import { instantText } from '../../src/domain/patternColumns';

function pattern(prefix: string, length: number | null, action: 'block' | 'flag' = 'block'): Pattern {
  const b = { prefix, length };
  return {
    id: blockKey(b), key: blockKey(b), kind: blockKind(b), prefix, length, country: null, categories: ['wangiri'], confidence: 80,
    reporters: 1, action, status: 'active', tlp: 'green', unallocated: false, firstSeen: '', lastSeen: '', validUntil: null, seq: 1,
  };
}

describe('PrefixMatcher', () => {
  it('matches numbers, blocks and open prefixes, longest first, and forgets removed keys', () => {
    const m = new PrefixMatcher();
    m.upsert(pattern('9230012', null));
    m.upsert(pattern('92300123', 12));
    m.upsert(pattern('923001234567', 12));
    m.upsert(pattern('92300123', null));
    expect(m.match('923001234567').map((p) => p.key)).toEqual(['+923001234567', '+92300123XXXX', '+92300123*', '+9230012*']);
    expect(m.match('9230012345678').map((p) => p.key)).toEqual(['+92300123*', '+9230012*']);
    m.remove('+92300123XXXX');
    m.remove('+nothing');
    expect(m.match('923001234567').map((p) => p.key)).toEqual(['+923001234567', '+92300123*', '+9230012*']);
    expect(m.size).toBe(3);
    m.upsert({ ...pattern('923001234567', 12), action: 'flag' });
    expect(m.match('923001234567')[0]!.action).toBe('flag');
    expect(m.size).toBe(3);
  });

  it('property: agrees with a linear scan of the same patterns', () => {
    const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom('9', '2', '3', '0'), minLength: min, maxLength: max });
    const blockArb = fc.tuple(digits(3, 8), fc.option(fc.integer({ min: 8, max: 12 }), { nil: null })).map(([prefix, len]) => ({
      prefix,
      length: len === null ? null : Math.max(len, prefix.length),
    }));
    fc.assert(
      fc.property(fc.array(blockArb, { maxLength: 40 }), fc.array(digits(8, 12), { minLength: 1, maxLength: 20 }), (blocks, numbers) => {
        const m = new PrefixMatcher();
        const held = new Map<string, { prefix: string; length: number | null }>();
        for (const b of blocks) {
          m.upsert(pattern(b.prefix, b.length));
          held.set(blockKey(b), b);
        }
        for (const n of numbers) {
          const expected = [...held.values()].filter((b) => blockContains(b, n)).map((b) => blockKey(b)).sort();
          expect(m.match(n).map((p) => p.key).sort()).toEqual(expected);
          const lengths = m.match(n).map((p) => p.prefix.length);
          expect([...lengths].sort((a, b) => b - a)).toEqual(lengths);
        }
      }),
    );
  });
});

/** A pattern as the database gives it: canonical uuid, ISO timestamps, every field set. */
function stored(prefix: string, length: number | null, i: number): Pattern {
  const b = { prefix, length };
  const hex = (i * 2654435761 >>> 0).toString(16).padStart(8, '0');
  const at = new Date(Date.UTC(2026, 0, 1) + i * 1234567).toISOString();
  return {
    id: `${hex}-0000-4000-8000-${hex}${hex.slice(0, 4)}`, key: blockKey(b), kind: blockKind(b), prefix, length,
    country: i % 3 === 0 ? null : i % 3 === 1 ? 'PK' : 'GB', categories: i % 2 ? ['irsf', 'wangiri'] : ['scam_call_center'],
    confidence: i % 101, reporters: 1 + (i % 7), action: i % 2 ? 'flag' : 'block', status: i % 5 ? 'active' : 'disputed',
    tlp: (['clear', 'green', 'amber', 'red'] as const)[i % 4]!, unallocated: i % 11 === 0, firstSeen: at, lastSeen: at,
    validUntil: i % 4 ? at : null, seq: 1000 + i,
  };
}

describe('PrefixMatcher columns', () => {
  it('gives back every field exactly, for coded and verbatim patterns alike', () => {
    const m = new PrefixMatcher();
    const exact = stored('923001234567', 12, 7);
    const long = stored('4912345678901234', 17, 8);
    const odd = { ...stored('9230012', null, 9), firstSeen: '2026-01-01T00:00:00Z', id: 'not-a-uuid' };
    // Counts past the row's 32 bits and ids past ASCII are kept whole too.
    const many = { ...stored('923001234', 12, 10), reporters: 2 ** 32 + 5 };
    const accented = { ...stored('44770', null, 11), id: 'idé-ünïcode' };
    for (const p of [exact, long, odd, many, accented]) m.upsert(p);
    expect(m.match('923001234567')).toEqual([exact, many, odd]);
    expect(m.match('49123456789012345')).toEqual([long]);
    expect(m.match('447700900123')).toEqual([accented]);
    const slots: number[] = [];
    expect(m.find('923001234567', slots)).toBe(3);
    expect(slots.map((s) => [m.keyAt(s), m.tlpAt(s), m.actionAt(s)])).toEqual([
      [exact.key, exact.tlp, exact.action],
      [many.key, many.tlp, many.action],
      [odd.key, odd.tlp, odd.action],
    ]);
    expect(slots.slice(0, 3).map((s) => m.patternJsonAt(s))).toEqual([exact, many, odd].map((p) => JSON.stringify(p)));
    // The lookup answer is ASCII: a character past it is escaped, the value the same.
    expect(m.find('447700900123', slots)).toBe(1);
    expect(m.patternJsonAt(slots[0]!)).toBe(JSON.stringify(accented).replace('é', '\\u00e9').replace('ü', '\\u00fc').replace('ï', '\\u00ef'));
    expect(m.find('92300x234567', slots)).toBe(0);
  });

  it('property: after any upserts and removals, agrees with a map of the same patterns', () => {
    const digit = fc.constantFrom('4', '9', '2', '3');
    const blockArb = fc
      .tuple(fc.string({ unit: digit, minLength: 2, maxLength: 17 }), fc.option(fc.integer({ min: 2, max: 18 }), { nil: null }))
      .map(([prefix, len]) => ({ prefix, length: len === null ? null : Math.max(len, prefix.length) }));
    const op = fc.oneof(
      fc.record({ kind: fc.constant('upsert' as const), block: blockArb, i: fc.nat(10_000) }),
      // Room made ahead (as a node does before loading a snapshot): any size, at any point.
      fc.record({ kind: fc.constant('reserve' as const), count: fc.oneof(fc.nat(20), fc.nat(5000)) }),
      // Mostly a held pattern (any block rarely equals one held), sometimes any block at all.
      fc.record({ kind: fc.constant('remove' as const), block: blockArb, i: fc.nat(), held: fc.nat(4).map((n) => n > 0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.array(fc.string({ unit: digit, minLength: 2, maxLength: 18 }), { maxLength: 30 }), (ops, numbers) => {
        const m = new PrefixMatcher();
        const held = new Map<string, Pattern>();
        // Numbers under every pattern ever held, removed ones included: a removed pattern must stop matching.
        const everHeld: Pattern[] = [];
        for (const o of ops) {
          if (o.kind === 'reserve') {
            m.reserve(o.count);
            continue;
          }
          const keys = o.kind === 'remove' && o.held && held.size > 0 ? [...held.keys()] : null;
          const key = keys ? keys[o.i % keys.length]! : blockKey(o.block);
          if (o.kind === 'remove') {
            m.remove(key);
            held.delete(key);
          } else {
            const p = stored(o.block.prefix, o.block.length, o.i);
            m.upsert(p);
            held.set(key, p);
            everHeld.push(p);
          }
        }
        expect(m.size).toBe(held.size);
        for (const p of everHeld) numbers.push(p.prefix.padEnd(p.length ?? p.prefix.length + 1, '7'));
        for (const n of numbers) {
          const expected = [...held.values()].filter((p) => blockContains(p, n));
          const got = m.match(n);
          expect([...got].sort((a, b) => a.key.localeCompare(b.key))).toEqual(expected.sort((a, b) => a.key.localeCompare(b.key)));
          // Longest prefix first; within one prefix, the fixed length before the open prefix.
          const order = got.map((p) => p.prefix.length * 2 + (p.length === null ? 0 : 1));
          expect([...order].sort((a, b) => b - a)).toEqual(order);
        }
      }),
      // A failure's shrinking (long op lists, a linear oracle) could run for many minutes: it stops
      // after 20 s and reports the smallest case found by then (a normal run takes well under 1 s).
      { numRuns: 200, plugins: [fc.interruptAfterTimeLimit(20_000, { failOnInterrupt: true })] },
    );
  });

  it('property: the JSON a lookup answers with, written from the columns, is JSON.stringify of the pattern held', () => {
    const digit = fc.constantFrom('4', '9', '2', '3', '0');
    const held = fc.tuple(fc.string({ unit: digit, minLength: 2, maxLength: 17 }), fc.option(fc.integer({ min: 2, max: 18 }), { nil: null }), fc.nat(100_000));
    fc.assert(
      fc.property(fc.array(held, { minLength: 1, maxLength: 8 }), (list) => {
        const m = new PrefixMatcher();
        const byKey = new Map<string, Pattern>();
        for (const [prefix, len, i] of list) {
          const p = stored(prefix, len === null ? null : Math.max(len, prefix.length), i);
          m.upsert(p);
          byKey.set(p.key, p);
        }
        const slots: number[] = [];
        for (const p of byKey.values()) {
          const count = m.find(p.prefix.padEnd(p.length ?? p.prefix.length + 1, '7'), slots);
          const at = slots.slice(0, count).find((s) => m.keyAt(s) === p.key);
          expect(at === undefined ? undefined : m.patternJsonAt(at)).toBe(JSON.stringify(p));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps finding every prefix through table growth and deletions (backward shifts)', () => {
    const m = new PrefixMatcher();
    const n = 20_000;
    for (let i = 0; i < n; i++) m.upsert(stored(String(4_400_000_000 + i * 37), 12, i));
    for (let i = 0; i < n; i += 2) m.remove(blockKey({ prefix: String(4_400_000_000 + i * 37), length: 12 }));
    m.trim();
    expect(m.size).toBe(n / 2);
    for (let i = 0; i < n; i++) {
      const number = `${4_400_000_000 + i * 37}00`;
      // Every field of the survivors came through the growths and the trim.
      expect(m.match(number), number).toEqual(i % 2 ? [stored(String(4_400_000_000 + i * 37), 12, i)] : []);
    }
  });
});

describe('instantText', () => {
  it('property: prints what Date#toISOString prints, for any instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(instantText(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
    expect(instantText(NaN)).toBeNull();
  });
});
