import type { Category, Tlp } from '../../schemas/common';
import type { ItemStatus } from '../../schemas/indicators';
import type { Pattern } from '../../schemas/patterns';
import { blockKey, blockKind, type Block } from './blocks';
import { settlePattern, type PatternFacts } from './lifecycle';
import { reportConfidence, type TrustRules } from './trust';
import { audienceOf, mostOpenTlp } from './visibility';

/** What one partner has said about one pattern, counted once however often it repeats. */
export interface ReportState {
  partnerId: string;
  confidence: number;
  categories: Category[];
  tlp: Tlp;
  sightings: number;
  firstSeen: string;
  lastSeen: string;
  /** The partner holds the number and declared it do-not-originate. */
  dno: boolean;
}

/** A pattern with every partner's report on it, and the facts that bound its status. */
export interface PatternRecord {
  pattern: Pattern;
  reports: Map<string, ReportState>;
  facts: Omit<PatternFacts, 'now'>;
  /** The communities that may see it while amber (internal, never on the wire). */
  audience: string[];
}

/** One canonical block of one accepted indicator. */
export interface Sighting {
  index: number;
  block: Block;
  category: Category;
  confidence: number | undefined;
  tlp: Tlp;
  country: string | null;
  unallocated: boolean;
  observedAt: string | null;
  validUntil: string | null;
  /** A holder's do-not-originate declaration (POST /v1/dno), not a fraud report. */
  dno?: boolean;
}

/** The result of applying a partner's batch to the patterns it touches. */
export interface BatchOutcome {
  /** Status of each item index that had at least one block. */
  statuses: Map<number, Exclude<ItemStatus, 'rejected'>>;
  /** Final state of every touched pattern, by key. */
  touched: Map<string, PatternRecord>;
  /** State (and audience) of each touched pattern before the batch (null: it did not exist). */
  before: Map<string, { pattern: Pattern; audience: string[] } | null>;
  /** One outcome per (item, pattern), in input order, for the audit trail. */
  events: { key: string; index: number; outcome: Exclude<ItemStatus, 'rejected'> }[];
}

export interface ApplyContext {
  partnerId: string;
  now: string;
  rules: TrustRules;
  /** The id of a pattern this batch creates, given its key. */
  newId: (key: string) => string;
  /** Whether a new pattern's block overlaps an allowlisted entry (it is then held). */
  allowlisted: (block: Block) => boolean;
  /** Communities of a reporter (for the amber audience). */
  communitiesOf: (partnerId: string) => readonly string[];
}

const STRENGTH = { duplicate: 0, corroborated: 1, created: 2 } as const;

/**
 * Dedup and corroboration: same key is the same pattern; the same partner again is `duplicate`
 * (its lastSeen moves), another partner is `corroborated` (reporters grows). Pure: the caller
 * passes the current state of every key the batch touches and persists what comes back.
 */
export function applyBatch(existing: Map<string, PatternRecord>, sightings: readonly Sighting[], ctx: ApplyContext): BatchOutcome {
  const out: BatchOutcome = { statuses: new Map(), touched: new Map(), before: new Map(), events: [] };
  const defaultUntil = defaultValidity(ctx);
  for (const s of sightings) {
    const key = blockKey(s.block);
    let record = out.touched.get(key);
    if (!record) {
      const current = existing.get(key);
      out.before.set(key, current ? { pattern: current.pattern, audience: current.audience } : null);
      record = current ? { ...current, reports: new Map(current.reports) } : undefined;
    }
    const { next, outcome } = applySighting(record, s, ctx, defaultUntil);
    out.touched.set(key, next);
    const event = { key, index: s.index, outcome };
    out.events.push(event);
    keepStrongest(out.statuses, event);
  }
  return out;
}

/**
 * The outcome of `applyBatch(existing, sightings, ctx)` once some of the records it was given have
 * changed: equal to applying the batch afresh to `existing` with `changed` in place of those, but
 * only the sightings of the changed keys are applied again. `ctx` must give new patterns the ids
 * it gave them the first time.
 */
export function reapplyBatch(first: BatchOutcome, changed: Map<string, PatternRecord>, sightings: readonly Sighting[], ctx: ApplyContext): BatchOutcome {
  const part = applyBatch(changed, sightings.filter((s) => changed.has(blockKey(s.block))), ctx);
  const out: BatchOutcome = { statuses: new Map(), touched: new Map(first.touched), before: new Map(first.before), events: [] };
  for (const [key, record] of part.touched) out.touched.set(key, record);
  for (const [key, before] of part.before) out.before.set(key, before);
  // The changed keys' events come in the same order as before, each in its old place.
  let next = 0;
  for (const e of first.events) {
    const event = changed.has(e.key) ? part.events[next++]! : e;
    out.events.push(event);
    keepStrongest(out.statuses, event);
  }
  return out;
}

/** An item's status is the strongest outcome among its sightings. */
function keepStrongest(statuses: BatchOutcome['statuses'], event: BatchOutcome['events'][number]): void {
  const prior = statuses.get(event.index);
  if (!prior || STRENGTH[event.outcome] > STRENGTH[prior]) statuses.set(event.index, event.outcome);
}

/** When a sighting of each category stops keeping a pattern valid, by default: computed once per batch. */
function defaultValidity(ctx: ApplyContext): (category: Category) => string {
  const nowMs = Date.parse(ctx.now);
  const known = new Map<Category, string>();
  return (category) => {
    let until = known.get(category);
    if (until === undefined) {
      until = new Date(nowMs + ctx.rules.validityDays[category] * 86_400_000).toISOString();
      known.set(category, until);
    }
    return until;
  };
}

function applySighting(record: PatternRecord | undefined, s: Sighting, ctx: ApplyContext, defaultUntil: (category: Category) => string) {
  const seenAt = s.observedAt && s.observedAt < ctx.now ? s.observedAt : ctx.now;
  const evidence = s.dno ? 100 : reportConfidence(s.confidence ?? ctx.rules.defaultConfidence, s.category, ctx.rules);
  const reports = record ? record.reports : new Map<string, ReportState>();
  const mine = reports.get(ctx.partnerId);
  const outcome = !record ? 'created' : mine ? 'duplicate' : 'corroborated';
  reports.set(ctx.partnerId, {
    partnerId: ctx.partnerId,
    confidence: Math.max(mine?.confidence ?? 0, evidence),
    categories: withCategory(mine?.categories ?? [], s.category),
    tlp: mine ? mostOpenTlp([mine.tlp, s.tlp]) : s.tlp,
    sightings: (mine?.sightings ?? 0) + 1,
    firstSeen: mine && mine.firstSeen < seenAt ? mine.firstSeen : seenAt,
    lastSeen: mine && mine.lastSeen > seenAt ? mine.lastSeen : seenAt,
    dno: (mine?.dno ?? false) || s.dno === true,
  });
  const base = record?.pattern ?? newPattern(s, ctx, seenAt);
  const facts = record?.facts ?? { openDisputes: 0, allowlisted: ctx.allowlisted(s.block) };
  // A sighting keeps the pattern valid for its category's period (or the date it gives), never
  // shorter; a holder's DNO declaration stands until the holder revokes it.
  const until = s.validUntil ?? defaultUntil(s.category);
  const dno = s.dno === true || reports.get(ctx.partnerId)!.dno;
  const validUntil = dno || (record && base.validUntil === null) ? null : base.validUntil && base.validUntil > until ? base.validUntil : until;
  const all = [...reports.values()];
  const pattern = settlePattern({ ...base, validUntil }, all, { ...facts, now: ctx.now }, ctx.rules);
  return { next: { pattern, reports, facts, audience: audienceOf(all, ctx.communitiesOf) }, outcome } as const;
}

function newPattern(s: Sighting, ctx: ApplyContext, seenAt: string): Pattern {
  const key = blockKey(s.block);
  return {
    id: ctx.newId(key),
    key,
    kind: blockKind(s.block),
    prefix: s.block.prefix,
    length: s.block.length,
    country: s.country,
    categories: [],
    confidence: 0,
    reporters: 0,
    action: 'flag',
    status: 'active',
    tlp: s.tlp,
    unallocated: s.unallocated,
    firstSeen: seenAt,
    lastSeen: seenAt,
    validUntil: null,
    seq: 0,
  };
}

function withCategory(categories: readonly Category[], category: Category): Category[] {
  return categories.includes(category) ? [...categories] : [...categories, category];
}
