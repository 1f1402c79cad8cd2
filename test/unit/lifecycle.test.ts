import { describe, expect, it } from 'vitest';
import type { Pattern } from '../../schemas/patterns';
import { settlePattern } from '../../src/domain/lifecycle';
import type { ReportState } from '../../src/domain/sightings';
import { DEFAULT_TRUST_RULES, reportConfidence } from '../../src/domain/trust';

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
