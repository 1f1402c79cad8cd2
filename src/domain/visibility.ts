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
  /** Communities the partner belongs to (sorted). */
  communities: readonly string[];
}

/** What decides who sees a pattern (or one report): its TLP and, for amber, its communities. */
export interface Visible {
  tlp: Tlp;
  audience?: readonly string[] | undefined;
}

/**
 * TLP on every channel: `clear` and `green` go to every partner; `amber` to the partners that
 * share a community with an amber reporter (the audience); `red` to operators only.
 */
export function canSee(viewer: Viewer, p: Visible): boolean {
  if (viewer.isOperator || p.tlp === 'clear' || p.tlp === 'green') return true;
  if (p.tlp === 'red') return false;
  return (p.audience ?? []).some((c) => viewer.communities.includes(c));
}

/**
 * The audience of a pattern whose most open sighting is amber: every community of every amber
 * reporter. Red sightings add no one; a clear or green sighting makes the audience moot (empty).
 */
export function audienceOf(reports: readonly { partnerId: string; tlp: Tlp }[], communitiesOf: (partnerId: string) => readonly string[]): string[] {
  if (mostOpenTlp(reports.map((r) => r.tlp)) !== 'amber') return [];
  const out = new Set<string>();
  for (const r of reports) if (r.tlp === 'amber') for (const c of communitiesOf(r.partnerId)) out.add(c);
  return [...out].sort();
}
