import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  type Block,
  blockContains,
  blockKey,
  blockKind,
  blocksOverlap,
  parseBlockKey,
  rangeToBlocks,
} from '../../src/domain/blocks';

const size = (b: Block): bigint => 10n ** BigInt((b.length ?? 0) - b.prefix.length);
const first = (b: Block): bigint => BigInt(b.prefix.padEnd(b.length ?? 0, '0'));
const last = (b: Block): bigint => BigInt(b.prefix.padEnd(b.length ?? 0, '9'));

/** Digit strings of one length, as an ordered pair (low <= high). */
const rangeArb = (minDigits: number, maxDigits: number) =>
  fc.integer({ min: minDigits, max: maxDigits }).chain((n) =>
    fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** BigInt(n) - 1n }), fc.bigInt({ min: 0n, max: 10n ** BigInt(n) - 1n }))
      .map(([a, b]) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        return [lo.toString().padStart(n, '0'), hi.toString().padStart(n, '0')] as const;
      }),
  );

/** Fewest aligned blocks covering [low, high], by dynamic programming over every position. */
function optimalCount(low: number, high: number, digits: number): number {
  const best = new Array<number>(high - low + 2).fill(Infinity);
  best[0] = 0;
  for (let start = low; start <= high; start++) {
    const here = best[start - low]!;
    for (let size = 1; size <= 10 ** digits && start % size === 0 && start + size - 1 <= high; size *= 10) {
      const at = start + size - low;
      best[at] = Math.min(best[at]!, here + 1);
    }
  }
  return best[high - low + 1]!;
}

describe('blockKind and blockKey', () => {
  it.each([
    [{ prefix: '923001234567', length: 12 }, 'number', '+923001234567'],
    [{ prefix: '92300123', length: 12 }, 'block', '+92300123XXXX'],
    [{ prefix: '92300123', length: null }, 'prefix', '+92300123*'],
    [{ prefix: '12125551', length: 11 }, 'block', '+12125551XXX'],
  ] as const)('%o is a %s keyed %s', (block, kind, key) => {
    expect(blockKind(block)).toBe(kind);
    expect(blockKey(block)).toBe(key);
    expect(parseBlockKey(key)).toEqual(block);
  });
});

describe('parseBlockKey', () => {
  it.each([
    '',
    '+',
    '923001234567',
    '+92300123xxxx',
    '+92300123 XXXX',
    '+92 300123XXXX',
    '++92300123',
    '+*',
    '+XXXX',
    '+92300123X*',
    '+92300123*X',
    '+92300123XX1',
    '+92300123**',
    '+9230a123',
    ' +92300123*',
  ])('rejects %j', (key) => {
    expect(parseBlockKey(key)).toBeNull();
  });

  it('inverts blockKey for any block', () => {
    const blockArb = fc
      .tuple(fc.stringMatching(/^\d{1,15}$/), fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }))
      .map(([prefix, extra]): Block => ({ prefix, length: extra === null ? null : prefix.length + extra }));
    fc.assert(
      fc.property(blockArb, (b) => {
        expect(parseBlockKey(blockKey(b))).toEqual(b);
      }),
    );
  });
});

describe('rangeToBlocks', () => {
  it.each([
    ['923001230000', '923001239999', ['92300123']],
    ['923001230000', '923001231999', ['923001230', '923001231']],
    ['5', '5', ['5']],
    ['000', '999', ['']],
    ['923001234560', '923001234569', ['92300123456']],
    ['923001234567', '923001234567', ['923001234567']],
    ['123', '129', ['123', '124', '125', '126', '127', '128', '129']],
    ['195', '213', ['195', '196', '197', '198', '199', '20', '210', '211', '212', '213']],
    ['100', '299', ['1', '2']],
  ])('%s..%s -> prefixes %j', (low, high, prefixes) => {
    expect(rangeToBlocks(low, high)).toEqual(prefixes.map((prefix) => ({ prefix, length: low.length })));
  });

  it('handles numbers beyond the float-safe range exactly', () => {
    expect(rangeToBlocks('99999999999999999990', '99999999999999999999')).toEqual([
      { prefix: '9999999999999999999', length: 20 },
    ]);
  });

  it.each([
    ['1234', '123'],
    ['200', '199'],
    ['12a', '129'],
    ['', ''],
    ['-1', '10'],
    ['1.5', '2.5'],
  ])('throws RangeError for %j..%j', (low, high) => {
    expect(() => rangeToBlocks(low, high)).toThrow(RangeError);
  });

  it('covers exactly the range: sorted, disjoint, contiguous, sizes summing to its count', () => {
    fc.assert(
      fc.property(rangeArb(1, 18), ([low, high]) => {
        const blocks = rangeToBlocks(low, high);
        expect(blocks.length).toBeGreaterThan(0);
        expect(blocks.length).toBeLessThanOrEqual(2 * 9 * low.length);
        let next = BigInt(low);
        for (const b of blocks) {
          expect(b.length).toBe(low.length);
          expect(first(b)).toBe(next); // sorted, no gap, no overlap
          next = last(b) + 1n;
        }
        expect(next - 1n).toBe(BigInt(high));
        expect(blocks.reduce((sum, b) => sum + size(b), 0n)).toBe(BigInt(high) - BigInt(low) + 1n);
      }),
    );
  });

  it('is minimal: no ten sibling blocks that could merge into their parent', () => {
    fc.assert(
      fc.property(rangeArb(1, 18), ([low, high]) => {
        const parents = new Map<string, number>();
        for (const b of rangeToBlocks(low, high)) {
          if (b.prefix.length === 0) continue;
          const parent = b.prefix.slice(0, -1);
          parents.set(parent, (parents.get(parent) ?? 0) + 1);
        }
        for (const count of parents.values()) expect(count).toBeLessThan(10);
      }),
    );
  });

  it('matches the optimal block count and membership on every 3-digit range', () => {
    fc.assert(
      fc.property(rangeArb(3, 3), ([low, high]) => {
        const blocks = rangeToBlocks(low, high);
        expect(blocks.length).toBe(optimalCount(Number(low), Number(high), 3));
        const wrong: string[] = [];
        for (let n = 0; n < 1000; n++) {
          const digits = String(n).padStart(3, '0');
          const hits = blocks.filter((b) => blockContains(b, digits)).length;
          if (hits !== (digits >= low && digits <= high ? 1 : 0)) wrong.push(digits);
        }
        expect(wrong).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('blockContains', () => {
  it.each([
    [{ prefix: '92300123', length: 12 }, '923001234567', true],
    [{ prefix: '92300123', length: 12 }, '9230012345678', false],
    [{ prefix: '92300123', length: 12 }, '923001224567', false],
    [{ prefix: '92300123', length: null }, '9230012345678', true],
    [{ prefix: '92300123', length: null }, '92300123', true],
    [{ prefix: '92300123', length: null }, '9230012', false],
    [{ prefix: '923001234567', length: 12 }, '923001234567', true],
    [{ prefix: '923001234567', length: 12 }, '923001234568', false],
  ])('%o contains %s: %s', (block, digits, expected) => {
    expect(blockContains(block, digits)).toBe(expected);
  });
});

describe('blocksOverlap', () => {
  it.each([
    [{ prefix: '92300', length: 12 }, { prefix: '92300123', length: 12 }, true],
    [{ prefix: '92300', length: 12 }, { prefix: '92300123', length: 13 }, false],
    [{ prefix: '92300', length: 12 }, { prefix: '92301', length: 12 }, false],
    [{ prefix: '92300', length: null }, { prefix: '923001234567', length: 12 }, true],
    [{ prefix: '923001234', length: null }, { prefix: '92300', length: 8 }, false],
    [{ prefix: '923001234', length: null }, { prefix: '92300', length: 9 }, true],
    [{ prefix: '92', length: null }, { prefix: '9230', length: null }, true],
    [{ prefix: '923001234567', length: 12 }, { prefix: '923001234567', length: 12 }, true],
  ])('%o and %o: %s', (a, b, expected) => {
    expect(blocksOverlap(a, b)).toBe(expected);
    expect(blocksOverlap(b, a)).toBe(expected);
  });

  it('agrees with enumerating the numbers both blocks contain', () => {
    // Membership depends only on prefix and length, so digits 0/1 suffice to find a shared number.
    const numbers: string[] = [];
    for (let len = 1; len <= 5; len++) {
      for (let i = 0; i < 2 ** len; i++) numbers.push(i.toString(2).padStart(len, '0'));
    }
    const blockArb = fc
      .tuple(fc.stringMatching(/^[01]{1,3}$/), fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }))
      .map(([prefix, extra]): Block => ({ prefix, length: extra === null ? null : prefix.length + extra }));
    fc.assert(
      fc.property(blockArb, blockArb, (a, b) => {
        const shared = numbers.some((n) => blockContains(a, n) && blockContains(b, n));
        expect(blocksOverlap(a, b)).toBe(shared);
      }),
    );
  });
});
