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
  // One pass over the reports, in plain loops: this runs for every sighting of every batch.
  const categories: Category[] = [];
  const confidences: number[] = [];
  const tlps: ReportState['tlp'][] = [];
  let dno = false;
  let firstSeen = base.firstSeen;
  let lastSeen = base.lastSeen;
  for (const r of reports) {
    for (const c of r.categories) if (!categories.includes(c)) categories.push(c);
    confidences.push(r.confidence);
    tlps.push(r.tlp);
    if (r.dno) dno = true;
    if (r.firstSeen < firstSeen) firstSeen = r.firstSeen;
    if (r.lastSeen > lastSeen) lastSeen = r.lastSeen;
  }
  categories.sort();
  const confidence = dno ? 100 : combineConfidence(confidences, rules);
  const status = statusOf(base, facts);
  const action = dno ? 'block' : status === 'disputed' ? 'flag' : decideAction({ confidence, reporters: reports.length, categories }, rules);
  return {
    ...base,
    categories,
    confidence,
    reporters: reports.length,
    action,
    status,
    tlp: reports.length ? mostOpenTlp(tlps) : base.tlp,
    firstSeen,
    lastSeen,
  };
}

function statusOf(base: Pattern, facts: PatternFacts): PatternStatus {
  if (base.status === 'revoked') return 'revoked';
  if (facts.allowlisted) return 'held';
  if (base.validUntil && notAfter(base.validUntil, facts.now)) return 'expired';
  if (facts.openDisputes > 0) return 'disputed';
  return 'active';
}

/**
 * `a <= b` for two instants. Text exactly as `Date#toISOString` writes it (every stored and every
 * normalized timestamp) sorts as the instants do, so it is compared as text; anything else is parsed.
 */
export function notAfter(a: string, b: string): boolean {
  return isCanonicalIso(a) && isCanonicalIso(b) ? a <= b : Date.parse(a) <= Date.parse(b);
}

function isCanonicalIso(t: string): boolean {
  return t.length === 24 && t.charCodeAt(10) === 84 /* T */ && t.charCodeAt(23) === 90 /* Z */;
}

/** The same pattern, revoked: it leaves every feed and stays out. */
export function revokePattern(base: Pattern): Pattern {
  return { ...base, status: 'revoked' };
}
