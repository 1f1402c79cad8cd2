import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyBatch, type PatternRecord, type Sighting } from '../../src/domain/sightings';
import { DEFAULT_TRUST_RULES } from '../../src/domain/trust';

const NOW = '2026-11-25T12:00:00.000Z';
let ids = 0;
const ctx = (partnerId: string, now = NOW) => ({ partnerId, now, rules: DEFAULT_TRUST_RULES, newId: () => `id-${++ids}`, allowlisted: () => false, communitiesOf: () => [] });
const sighting = (over: Partial<Sighting> = {}): Sighting => ({
  index: 0,
  block: { prefix: '923001234567', length: 12 },
  category: 'wangiri',
  confidence: 60,
  tlp: 'green',
  country: 'PK',
  unallocated: false,
  observedAt: null,
  validUntil: null,
  ...over,
});

/** Applies batches in turn, carrying state like the store does. */
function run(steps: { partner: string; sightings: Sighting[] }[]) {
  const state = new Map<string, PatternRecord>();
  const outcomes = steps.map((s) => {
    const out = applyBatch(state, s.sightings, ctx(s.partner));
    for (const [k, v] of out.touched) state.set(k, v);
    return out;
  });
  return { state, outcomes };
}

describe('applyBatch', () => {
  it('created, then corroborated by another partner, then duplicate from the same one', () => {
    const { state, outcomes } = run([
      { partner: 'a', sightings: [sighting()] },
      { partner: 'b', sightings: [sighting({ category: 'irsf' })] },
      { partner: 'a', sightings: [sighting()] },
    ]);
    expect(outcomes.map((o) => o.statuses.get(0))).toEqual(['created', 'corroborated', 'duplicate']);
    const p = state.get('+923001234567')!.pattern;
    expect(p).toMatchObject({ reporters: 2, confidence: 84, action: 'block', categories: ['irsf', 'wangiri'], kind: 'number' });
    expect(outcomes[0]!.before.get('+923001234567')).toBeNull();
    expect(outcomes[1]!.before.get('+923001234567')?.pattern).toMatchObject({ reporters: 1 });
  });

  it('the same key twice in one batch: created then duplicate, one touched pattern', () => {
    const out = applyBatch(new Map(), [sighting({ index: 0 }), sighting({ index: 1 })], ctx('a'));
    expect([...out.statuses.entries()]).toEqual([
      [0, 'created'],
      [1, 'duplicate'],
    ]);
    expect(out.touched.size).toBe(1);
    expect(out.touched.get('+923001234567')!.reports.get('a')!.sightings).toBe(2);
  });

  it('an item with several blocks takes its strongest outcome', () => {
    const first = applyBatch(new Map(), [sighting()], ctx('a'));
    const out = applyBatch(first.touched, [sighting({ index: 3 }), sighting({ index: 3, block: { prefix: '92300123456', length: 12 } })], ctx('a'));
    expect(out.statuses.get(3)).toBe('created');
  });

  it('observedAt in the future is clamped to now; the most open TLP wins', () => {
    const { state } = run([
      { partner: 'a', sightings: [sighting({ observedAt: '2030-01-01T00:00:00.000Z', tlp: 'amber' })] },
      { partner: 'b', sightings: [sighting({ tlp: 'clear' })] },
    ]);
    const p = state.get('+923001234567')!.pattern;
    expect(p.lastSeen).toBe(NOW);
    expect(p.tlp).toBe('clear');
  });

  it('property: one partner repeating itself never raises confidence nor reporters', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 10 }), (conf, repeats) => {
        const steps = Array.from({ length: repeats }, () => ({ partner: 'a', sightings: [sighting({ confidence: conf })] }));
        const once = run(steps.slice(0, 1)).state.get('+923001234567')!.pattern;
        const many = run(steps).state.get('+923001234567')!.pattern;
        expect(many.confidence).toBe(once.confidence);
        expect(many.reporters).toBe(1);
      }),
    );
  });

  it('property: a new corroborating partner never lowers confidence', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 8 }), (confs) => {
        let last = 0;
        const state = new Map<string, PatternRecord>();
        confs.forEach((c, i) => {
          const out = applyBatch(state, [sighting({ confidence: c })], ctx(`p${i}`));
          for (const [k, v] of out.touched) state.set(k, v);
          const now = state.get('+923001234567')!.pattern.confidence;
          expect(now).toBeGreaterThanOrEqual(last);
          last = now;
        });
      }),
    );
  });
});
