import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pattern } from '../../schemas/patterns';
import { blockContains, blockKey, blockKind } from '../../src/domain/blocks';
import { PrefixMatcher } from '../../src/domain/matcher';

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
