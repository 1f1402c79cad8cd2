import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FeedFilter } from '../../schemas/feed';
import type { Pattern } from '../../schemas/patterns';
import { filterView, isLive, selects, viewChange, type ChangeRow } from '../../src/domain/feed';
import type { Viewer } from '../../src/domain/visibility';

const KEYS = ['+923001', '+923002', '+923003', '+442071'];

const stateArb = fc.record({
  key: fc.constantFrom(...KEYS),
  country: fc.constantFrom('PK', 'GB', null),
  categories: fc.subarray(['wangiri', 'irsf', 'robocall'] as const, { minLength: 1 }),
  confidence: fc.integer({ min: 0, max: 99 }),
  action: fc.constantFrom('block', 'flag' as const),
  status: fc.constantFrom('active', 'disputed', 'held', 'expired', 'revoked' as const),
  tlp: fc.constantFrom('clear', 'green', 'amber', 'red' as const),
  audience: fc.subarray(['c1', 'c2', 'c3']),
});

const filterArb: fc.Arbitrary<FeedFilter> = fc.record(
  {
    country: fc.subarray(['PK', 'GB'], { minLength: 1 }),
    category: fc.subarray(['wangiri', 'irsf', 'robocall'] as const, { minLength: 1 }),
    minConfidence: fc.integer({ min: 0, max: 99 }),
    action: fc.constantFrom('block', 'flag' as const),
  },
  { requiredKeys: [] },
);

function toPattern(s: { key: string } & Record<string, unknown>, seq: number): Pattern {
  return {
    id: s.key, key: s.key, kind: 'number', prefix: s.key.slice(1), length: 12, firstSeen: '', lastSeen: '', validUntil: null,
    reporters: 1, unallocated: false, seq, ...(s as object),
  } as Pattern;
}

describe('viewChange keeps a filtered list equal to the filtered state at every seq', () => {
  it('property: over any log, any filter, any viewer', () => {
    fc.assert(
      fc.property(fc.array(stateArb, { maxLength: 60 }), filterArb, fc.boolean(), fc.subarray(['c1', 'c2']), (states, filter, isOperator, communities) => {
        const viewer: Viewer = { partnerId: 'x', isOperator, communities };
        const server = new Map<string, Pattern>();
        const audiences = new Map<string, string[]>();
        const client = new Map<string, Pattern>();
        states.forEach(({ audience, ...s }, i) => {
          const next = toPattern(s, i + 1);
          const before = server.get(next.key);
          const row: ChangeRow = {
            seq: i + 1,
            op: isLive(next) ? 'upsert' : 'remove',
            state: next,
            audience,
            prev: before ? filterView(before, audiences.get(next.key) ?? []) : null,
          };
          server.set(next.key, next);
          audiences.set(next.key, audience);
          const shown = viewChange(filter, viewer, row);
          if (shown?.op === 'upsert') client.set(shown.pattern.key, shown.pattern);
          if (shown?.op === 'remove') client.delete(shown.pattern.key);
          const expected = [...server.values()].filter((p) => selects(filter, viewer, { ...p, audience: audiences.get(p.key) }));
          expect([...client.values()].sort((a, b) => a.key.localeCompare(b.key))).toEqual(expected.sort((a, b) => a.key.localeCompare(b.key)));
        });
      }),
      { numRuns: 500 },
    );
  });
});
