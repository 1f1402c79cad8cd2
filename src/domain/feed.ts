import type { FeedFilter } from '../../schemas/feed';
import type { Pattern, PatternStatus } from '../../schemas/patterns';
import { canSee, type Viewer } from './visibility';

/** The fields of a pattern's state a filter and the visibility rules look at; kept beside each change. */
export type FilterView = Pick<Pattern, 'status' | 'country' | 'categories' | 'confidence' | 'action' | 'tlp'> & { audience?: readonly string[] | undefined };

const LIVE: ReadonlySet<PatternStatus> = new Set(['active', 'disputed']);

/** Feeds carry the patterns a switch should act on; the others leave the feed. */
export function isLive(p: Pick<Pattern, 'status'>): boolean {
  return LIVE.has(p.status);
}

/** Projects a pattern (and its amber audience) onto the fields that decide feed membership. */
export function filterView(p: Pattern, audience: readonly string[]): FilterView {
  return { status: p.status, country: p.country, categories: p.categories, confidence: p.confidence, action: p.action, tlp: p.tlp, audience };
}

/** Does this reader's list hold a pattern in this state? */
export function selects(filter: FeedFilter, viewer: Viewer, p: FilterView): boolean {
  if (!isLive(p) || !canSee(viewer, p)) return false;
  if (filter.country && (p.country === null || !filter.country.includes(p.country))) return false;
  if (filter.category && !p.categories.some((c) => filter.category!.includes(c))) return false;
  if (filter.minConfidence !== undefined && p.confidence < filter.minConfidence) return false;
  if (filter.action && p.action !== filter.action) return false;
  return true;
}

/** A change-log row: the pattern's new state (with its amber audience) and the filter view of its state before. */
export interface ChangeRow {
  seq: number;
  op: 'upsert' | 'remove';
  state: Pattern;
  audience: readonly string[];
  prev: FilterView | null;
}

/**
 * What a filtered reader receives for one change: an upsert when the new state is in its list,
 * a remove when the old state was and the new one is not, else nothing. By induction over the
 * log this keeps the reader's list equal to the filtered snapshot at every seq.
 */
export function viewChange(filter: FeedFilter, viewer: Viewer, c: ChangeRow): { seq: number; op: 'upsert' | 'remove'; pattern: Pattern } | null {
  if (c.op === 'upsert' && selects(filter, viewer, { ...c.state, audience: c.audience })) return { seq: c.seq, op: 'upsert', pattern: c.state };
  if (c.prev && selects(filter, viewer, c.prev)) return { seq: c.seq, op: 'remove', pattern: c.state };
  return null;
}

/** Equal keys select exactly the same patterns: one serialization (or one ETag) serves them all. */
export function selectionKey(filter: FeedFilter, viewer: Viewer): string {
  return JSON.stringify([
    filter.country?.slice().sort(),
    filter.category?.slice().sort(),
    filter.minConfidence ?? null,
    filter.action ?? null,
    viewer.isOperator,
    viewer.isOperator ? [] : viewer.communities,
  ]);
}
