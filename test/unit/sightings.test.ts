import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyBatch, reapplyBatch, type PatternRecord, type Sighting } from '../../src/domain/sightings';
import { blockKey } from '../../src/domain/blocks';
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

describe('reapplyBatch', () => {
  // Items of a batch: one to three blocks each, drawn from few keys so that items share keys.
  const KEYS = ['923001234567', '923001234568', '92300123456', '9230012345', '923001234569'];
  const CATEGORIES = ['wangiri', 'irsf', 'spoofed_cli', 'scam_call_center'] as const;
  const batch = fc.array(
    fc.record({
      blocks: fc.uniqueArray(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 }),
      category: fc.constantFrom(...CATEGORIES),
      confidence: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
      tlp: fc.constantFrom('clear', 'green', 'amber'),
    }),
    { minLength: 1, maxLength: 6 },
  );
  const toSightings = (items: { blocks: string[]; category: Sighting['category']; confidence: number | undefined; tlp: Sighting['tlp'] }[]) =>
    items.flatMap((item, index) =>
      item.blocks.map((prefix) => sighting({ index, block: { prefix, length: 12 }, category: item.category, confidence: item.confidence, tlp: item.tlp })),
    );
  // New patterns get an id from their key, the same in every decision, as the store arranges.
  const keyed = (partnerId: string) => ({ ...ctx(partnerId), newId: (key: string) => `id-${key}`, communitiesOf: (id: string) => (id === 'b' ? ['c1'] : []) });

  it('property: equals applying the whole batch again to the records with the changed ones in place', () => {
    fc.assert(
      fc.property(batch, batch, batch, fc.constantFrom('a', 'b', 'c'), (history, meanwhile, mine, partner) => {
        // What the batch first read: a history by partner a. Meanwhile partner b's batch changed some.
        const read = new Map<string, PatternRecord>();
        for (const [k, v] of applyBatch(new Map(), toSightings(history), keyed('a')).touched) read.set(k, v);
        const other = applyBatch(read, toSightings(meanwhile), keyed('b')).touched;
        const sightings = toSightings(mine);
        const touchedKeys = new Set(sightings.map((s) => blockKey(s.block)));
        const changed = new Map([...other].filter(([k]) => touchedKeys.has(k)));
        const first = applyBatch(read, sightings, keyed(partner));
        const afresh = applyBatch(new Map([...read, ...changed]), sightings, keyed(partner));
        expect(reapplyBatch(first, changed, sightings, keyed(partner))).toEqual(afresh);
      }),
      { numRuns: 300 },
    );
  });
});
