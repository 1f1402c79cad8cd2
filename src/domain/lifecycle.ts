import type { Category } from '../../schemas/common';
import type { Pattern, PatternStatus } from '../../schemas/patterns';
import type { ReportState } from './sightings';
import { combineConfidence, decideAction, type TrustRules } from './trust';
import { mostOpenTlp } from './visibility';

/** Everything besides the reports that decides a pattern's status and action. */
export interface PatternFacts {
  /** Open disputes against it. */
  openDisputes: number;
  /** It overlaps a certified legitimate number (an allowlist entry). */
  allowlisted: boolean;
  now: string;
}

/**
 * A pattern's state as a pure function of its reports and facts, so no path can drift from the
 * rules:
 * - status: `revoked` is final; else `held` when allowlisted; else `expired` past validUntil;
 *   else `disputed` while a dispute is open; else `active`.
 * - confidence: 100 when the number's holder declared it do-not-originate; else the noisy-OR of
 *   the reporters (each once).
 * - action: `block` for a DNO; at most `flag` while disputed; else the confidence rules.
 */
export function settlePattern(base: Pattern, reports: readonly ReportState[], facts: PatternFacts, rules: TrustRules): Pattern {
  const categories = [...new Set(reports.flatMap((r) => r.categories))].sort() as Category[];
  const dno = reports.some((r) => r.dno);
  const confidence = dno ? 100 : combineConfidence(reports.map((r) => r.confidence), rules);
  const status = statusOf(base, facts);
  const action = dno ? 'block' : status === 'disputed' ? 'flag' : decideAction({ confidence, reporters: reports.length, categories }, rules);
  return {
    ...base,
    categories,
    confidence,
    reporters: reports.length,
    action,
    status,
    tlp: reports.length ? mostOpenTlp(reports.map((r) => r.tlp)) : base.tlp,
    firstSeen: reports.reduce((m, r) => (r.firstSeen < m ? r.firstSeen : m), base.firstSeen),
    lastSeen: reports.reduce((m, r) => (r.lastSeen > m ? r.lastSeen : m), base.lastSeen),
  };
}

function statusOf(base: Pattern, facts: PatternFacts): PatternStatus {
  if (base.status === 'revoked') return 'revoked';
  if (facts.allowlisted) return 'held';
  if (base.validUntil && Date.parse(base.validUntil) <= Date.parse(facts.now)) return 'expired';
  if (facts.openDisputes > 0) return 'disputed';
  return 'active';
}

/** The same pattern, revoked: it leaves every feed and stays out. */
export function revokePattern(base: Pattern): Pattern {
  return { ...base, status: 'revoked' };
}
