import type { Action } from '../../schemas/patterns';
import type { Category } from '../../schemas/common';

/** The confidence/action rules; the hub reads them from its configuration (`HUB_TRUST_RULES`). */
export interface TrustRules {
  /** Confidence assumed when a partner states none. */
  defaultConfidence: number;
  /** A pattern at or above this confidence is `block`, below it `flag`. */
  blockAt: number;
  /** Corroboration approaches but never reaches certainty; only a holder's DNO declaration does. */
  maxConfidence: number;
  /**
   * How far a report of each category is believed (0..1): a partner's stated confidence is scaled
   * by it. Spoofed caller IDs are the weakest evidence: the number belongs to a victim.
   */
  categoryWeight: Record<Category, number>;
  /** Days a sighting keeps a pattern valid when it gives no `validUntil`. */
  validityDays: Record<Category, number>;
}

export const DEFAULT_TRUST_RULES: TrustRules = {
  defaultConfidence: 50,
  blockAt: 70,
  maxConfidence: 99,
  categoryWeight: { irsf: 1, wangiri: 1, scam_call_center: 1, robocall: 0.9, smishing: 0.9, other: 0.8, spoofed_cli: 0.7 },
  validityDays: { irsf: 180, wangiri: 30, scam_call_center: 90, robocall: 30, smishing: 30, other: 30, spoofed_cli: 7 },
};

/** One report's weight as evidence: its stated confidence scaled by its category's weight. */
export function reportConfidence(stated: number, category: Category, rules: TrustRules = DEFAULT_TRUST_RULES): number {
  return Math.max(1, Math.round(clamp(stated, 1, 100) * (rules.categoryWeight[category] ?? 1)));
}

/**
 * Combines independent reporters' confidences as a noisy-OR: the chance that every reporter is
 * wrong is the product of each one's chance of being wrong, so
 * `confidence = 1 - Π (1 - cᵢ/100)`, in percent, rounded down and capped at `maxConfidence`.
 * Each partner must appear once (its strongest report): a partner repeating itself is not
 * independent evidence. The result never falls when a reporter is added, never exceeds the cap,
 * and equals the single reporter's confidence when there is one.
 */
export function combineConfidence(perPartner: readonly number[], rules: TrustRules = DEFAULT_TRUST_RULES): number {
  if (perPartner.length === 0) return 0;
  let allWrong = 1;
  for (const c of perPartner) allWrong *= 1 - clamp(c, 0, 100) / 100;
  // Round in percent space with a small epsilon so 1 - (1 - 0.7) stays 70, not 69.
  const combined = Math.floor((1 - allWrong) * 100 + 1e-9);
  return Math.min(combined, rules.maxConfidence);
}

/** What the action rules look at. */
export interface ActionInput {
  confidence: number;
  reporters: number;
  categories: readonly Category[];
}

/**
 * `block` when confidence reaches `blockAt`; otherwise `flag`. A spoofed caller ID belongs to its
 * victim, so a `spoofed_cli` pattern that only one partner reported is never blocked on that alone.
 */
export function decideAction(p: ActionInput, rules: TrustRules = DEFAULT_TRUST_RULES): Action {
  if (p.reporters < 2 && p.categories.includes('spoofed_cli')) return 'flag';
  return p.confidence >= rules.blockAt ? 'block' : 'flag';
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}
