import { TLPS, type Tlp } from '../../schemas/common';

/** The most open of several TLP levels: a pattern is visible at its most open sighting. */
export function mostOpenTlp(levels: readonly Tlp[]): Tlp {
  let best = TLPS.length - 1;
  for (const l of levels) best = Math.min(best, TLPS.indexOf(l));
  return TLPS[best] ?? 'red';
}

/** Who is reading: enough to decide what it may see. */
export interface Viewer {
  partnerId: string;
  isOperator: boolean;
}

/** The fields of a pattern that decide who sees it. */
export interface Visible {
  tlp: Tlp;
}

/**
 * TLP on every channel: `clear` and `green` go to every partner, `red` to operators only.
 * `amber` goes to operators; sharing it with the submitter's communities needs communities,
 * which are not built yet, so until then it stays with operators (never wider than allowed).
 */
export function canSee(viewer: Viewer, p: Visible): boolean {
  if (viewer.isOperator) return true;
  return p.tlp === 'clear' || p.tlp === 'green';
}
