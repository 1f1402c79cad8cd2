import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { combineConfidence, decideAction, DEFAULT_TRUST_RULES } from '../../src/domain/trust';

describe('combineConfidence (noisy-OR, each partner once)', () => {
  it.each([
    [[], 0],
    [[50], 50],
    [[70], 70],
    [[60, 60], 84],
    [[60, 60, 60], 93],
    [[50, 50], 75],
    [[100], 99],
    [[90, 90, 90], 99],
    [[1], 1],
  ])('%j -> %i', (input, expected) => {
    expect(combineConfidence(input)).toBe(expected);
  });

  it('adding a reporter never lowers confidence', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 20 }), fc.integer({ min: 1, max: 100 }), (list, extra) => {
        expect(combineConfidence([...list, extra])).toBeGreaterThanOrEqual(combineConfidence(list));
      }),
    );
  });

  it('stays within 0..maxConfidence and is order independent', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 20 }), (list) => {
        const c = combineConfidence(list);
        expect(c).toBeGreaterThanOrEqual(0);
        expect(c).toBeLessThanOrEqual(DEFAULT_TRUST_RULES.maxConfidence);
        expect(combineConfidence([...list].reverse())).toBe(c);
      }),
    );
  });
});

describe('decideAction', () => {
  it.each([
    [{ confidence: 70, reporters: 1, categories: ['wangiri'] }, 'block'],
    [{ confidence: 69, reporters: 1, categories: ['wangiri'] }, 'flag'],
    [{ confidence: 99, reporters: 1, categories: ['spoofed_cli'] }, 'flag'],
    [{ confidence: 99, reporters: 1, categories: ['spoofed_cli', 'robocall'] }, 'flag'],
    [{ confidence: 84, reporters: 2, categories: ['spoofed_cli'] }, 'block'],
    [{ confidence: 50, reporters: 3, categories: ['irsf'] }, 'flag'],
  ] as const)('%j -> %s', (input, expected) => {
    expect(decideAction({ ...input, categories: [...input.categories] })).toBe(expected);
  });
});
