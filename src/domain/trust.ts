import type { Action } from '../../schemas/patterns';
import type { Category } from '../../schemas/common';

/** Thresholds of the confidence/action rules; the hub reads them from its configuration. */
export interface TrustRules {
  /** Confidence assumed when a partner states none. */
  defaultConfidence: number;
  /** A pattern at or above this confidence is `block`, below it `flag`. */
  blockAt: number;
  /** Corroboration approaches but never reaches certainty; only a holder's DNO declaration may. */
  maxConfidence: number;
}

export const DEFAULT_TRUST_RULES: TrustRules = { defaultConfidence: 50, blockAt: 70, maxConfidence: 99 };

/**
 * Combines independent reporters' confidences as a noisy-OR: the chance that every reporter is
 * wrong is the product of each one's chance of being wrong, so
 * `confidence = 1 - Π (1 - cᵢ/100)`, in percent, rounded down and capped at `maxConfidence`.
 * Each partner must appear once (its strongest statement): a partner repeating itself is not
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
