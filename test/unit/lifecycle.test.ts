import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, TLPS, type Category } from '../../schemas/common';
import type { Pattern } from '../../schemas/patterns';
import { notAfter, settlePattern } from '../../src/domain/lifecycle';
import type { ReportState } from '../../src/domain/sightings';
import { combineConfidence, decideAction, DEFAULT_TRUST_RULES, reportConfidence } from '../../src/domain/trust';
import { mostOpenTlp } from '../../src/domain/visibility';

const NOW = '2026-11-25T12:00:00.000Z';
const base: Pattern = {
  id: 'p', key: '+923001234567', kind: 'number', prefix: '923001234567', length: 12, country: 'PK', categories: [], confidence: 0,
  reporters: 0, action: 'flag', status: 'active', tlp: 'green', unallocated: false, firstSeen: NOW, lastSeen: NOW,
  validUntil: '2026-12-25T12:00:00.000Z', seq: 1,
};
const report = (partnerId: string, confidence: number, over: Partial<ReportState> = {}): ReportState => ({
  partnerId, confidence, categories: ['wangiri'], tlp: 'green', sightings: 1, firstSeen: NOW, lastSeen: NOW, dno: false, ...over,
});
const facts = { openDisputes: 0, allowlisted: false, now: NOW };

describe('the rule table', () => {
  it.each([
    ['one report at 70', [report('a', 70)], facts, { status: 'active', action: 'block', confidence: 70 }],
    ['one report at 69', [report('a', 69)], facts, { status: 'active', action: 'flag', confidence: 69 }],
    ['one spoofed_cli report at 99', [report('a', 99, { categories: ['spoofed_cli'] })], facts, { action: 'flag' }],
    ['two spoofed_cli reports', [report('a', 60, { categories: ['spoofed_cli'] }), report('b', 60, { categories: ['spoofed_cli'] })], facts, { action: 'block', confidence: 84 }],
    ['disputed', [report('a', 95), report('b', 95)], { ...facts, openDisputes: 1 }, { status: 'disputed', action: 'flag' }],
    ['allowlisted', [report('a', 95)], { ...facts, allowlisted: true }, { status: 'held' }],
    ['allowlisted and disputed', [report('a', 95)], { ...facts, allowlisted: true, openDisputes: 2 }, { status: 'held' }],
    ['past validUntil', [report('a', 95)], { ...facts, now: '2027-01-01T00:00:00.000Z' }, { status: 'expired' }],
    ['a DNO declaration', [report('a', 100, { dno: true, categories: ['spoofed_cli'] })], facts, { action: 'block', confidence: 100 }],
    ['a DNO, disputed', [report('a', 100, { dno: true })], { ...facts, openDisputes: 1 }, { status: 'disputed', action: 'block' }],
  ] as const)('%s', (_name, reports, f, expected) => {
    expect(settlePattern(base, [...reports], f, DEFAULT_TRUST_RULES)).toMatchObject(expected);
  });

  it('revoked is final whatever the facts', () => {
    const revoked = { ...base, status: 'revoked' as const };
    expect(settlePattern(revoked, [report('a', 99), report('b', 99)], facts, DEFAULT_TRUST_RULES).status).toBe('revoked');
  });

  it.each([
    [80, 'irsf', 80],
    [80, 'robocall', 72],
    [80, 'spoofed_cli', 56],
    [80, 'other', 64],
    [1, 'spoofed_cli', 1],
  ] as const)('a report of %i in %s weighs %i', (stated, category, expected) => {
    expect(reportConfidence(stated, category)).toBe(expected);
  });
});

describe('instants compared as text', () => {
  // Every date toISOString can write, years 0 to 9999 canonical (24 characters), others extended.
  const instant = fc.date({ min: new Date(Date.UTC(-2000, 0, 1)), max: new Date(Date.UTC(12000, 0, 1)), noInvalidDate: true });
  const texts = (d: Date) => [d.toISOString(), d.toUTCString(), d.toISOString().replace('.000Z', 'Z'), d.toISOString().replace('Z', '+00:00')];

  it('notAfter agrees with comparing the parsed instants, whatever form each is written in', () => {
    fc.assert(
      fc.property(instant, instant, fc.nat(3), fc.nat(3), (a, b, i, j) => {
        const [x, y] = [texts(a)[i]!, texts(b)[j]!];
        if (Number.isNaN(Date.parse(x)) || Number.isNaN(Date.parse(y))) return;
        expect(notAfter(x, y)).toBe(Date.parse(x) <= Date.parse(y));
      }),
      { numRuns: 2000 },
    );
    expect(notAfter(NOW, NOW)).toBe(true);
  });
});

describe('settlePattern in one pass', () => {
  // The rules as first written (sets, maps and reductions over the reports): the one-pass version must agree.
  function reference(p: Pattern, reports: ReportState[], f: typeof facts): Pattern {
    const categories = [...new Set(reports.flatMap((r) => r.categories))].sort();
    const dno = reports.some((r) => r.dno);
    const confidence = dno ? 100 : combineConfidence(reports.map((r) => r.confidence), DEFAULT_TRUST_RULES);
    const status =
      p.status === 'revoked' ? 'revoked' : f.allowlisted ? 'held' : p.validUntil && Date.parse(p.validUntil) <= Date.parse(f.now) ? 'expired' : f.openDisputes > 0 ? 'disputed' : 'active';
    const action = dno ? 'block' : status === 'disputed' ? 'flag' : decideAction({ confidence, reporters: reports.length, categories: categories as Category[] }, DEFAULT_TRUST_RULES);
    return {
      ...p,
      categories: categories as Category[],
      confidence,
      reporters: reports.length,
      action,
      status,
      tlp: reports.length ? mostOpenTlp(reports.map((r) => r.tlp)) : p.tlp,
      firstSeen: reports.reduce((m, r) => (r.firstSeen < m ? r.firstSeen : m), p.firstSeen),
      lastSeen: reports.reduce((m, r) => (r.lastSeen > m ? r.lastSeen : m), p.lastSeen),
    };
  }
  const iso = fc.date({ min: new Date('2026-01-01T00:00:00.000Z'), max: new Date('2028-01-01T00:00:00.000Z'), noInvalidDate: true }).map((d) => d.toISOString());
  const reportArb = fc.record({
    partnerId: fc.uuid(),
    confidence: fc.integer({ min: 1, max: 100 }),
    categories: fc.uniqueArray(fc.constantFrom(...CATEGORIES), { minLength: 1, maxLength: 3 }),
    tlp: fc.constantFrom(...TLPS),
    sightings: fc.integer({ min: 1, max: 5 }),
    firstSeen: iso,
    lastSeen: iso,
    dno: fc.boolean(),
  });

  it('gives what the reference gives for any reports and facts', () => {
    fc.assert(
      fc.property(
        fc.array(reportArb, { maxLength: 5 }),
        fc.record({ openDisputes: fc.nat(2), allowlisted: fc.boolean(), now: iso }),
        fc.option(iso, { nil: null }),
        fc.constantFrom('active', 'revoked', 'expired') as fc.Arbitrary<Pattern['status']>,
        (reports, f, validUntil, status) => {
          const p = { ...base, validUntil, status };
          expect(settlePattern(p, reports, f, DEFAULT_TRUST_RULES)).toEqual(reference(p, reports, f));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
