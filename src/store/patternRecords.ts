import { sql, type SQL } from 'drizzle-orm';
import type { Pattern } from '../../schemas/patterns';
import { blocksOverlap, type Block } from '../domain/blocks';
import { settlePattern } from '../domain/lifecycle';
import { audienceOf } from '../domain/visibility';
import type { PatternRecord, ReportState } from '../domain/sightings';
import type { TrustRules } from '../domain/trust';
import { allowBlocksNear } from './allowlist';
import { appendChanges } from './changeWrites';
import { PATTERN_COLUMNS, toPattern, type PatternRow } from './patternRows';
import { arrayLiteral, arrayOf, int, isoOf, rows, type Executor } from './sql';

const jsonList = (values: readonly string[]) => sql`(select jsonb_array_elements_text(${JSON.stringify(values)}::text::jsonb))`;
const uuidList = (values: readonly string[]) => sql`(select (jsonb_array_elements_text(${JSON.stringify(values)}::text::jsonb))::uuid)`;

/** A test of blocks against the active allowlist, loaded once for a set of blocks. */
export async function allowlistCheck(tx: Executor, blocks: readonly Block[], now: string): Promise<(b: Block) => boolean> {
  const near = await allowBlocksNear(tx, blocks, now);
  return (b) => near.some((a) => blocksOverlap(a, b));
}

/**
 * Patterns by key or id, with their reports, open disputes and allowlist standing. A caller that
 * already has (or is reading) an allowlist check covering these patterns passes it, so it is not
 * read twice.
 */
export async function loadRecords(
  tx: Executor,
  by: { keys: readonly string[] } | { ids: readonly string[] },
  now: string,
  allowlistedFor?: Promise<(b: Block) => boolean>,
): Promise<Map<string, PatternRecord>> {
  const out = new Map<string, PatternRecord>();
  const list = 'keys' in by ? by.keys : by.ids;
  if (list.length === 0) return out;
  const where: SQL = 'keys' in by ? sql`p.key in ${jsonList(list)}` : sql`p.id in ${uuidList(list)}`;
  const found = await rows<PatternRow & { audience: string[] }>(tx, sql`select ${PATTERN_COLUMNS}, p.audience from patterns p where ${where}`);
  if (found.length === 0) return out;
  const patterns = found.map(toPattern);
  const audiences = new Map(found.map((r) => [r.id, r.audience]));
  const ids = patterns.map((p) => p.id);
  const [reports, disputes, allowlisted] = await Promise.all([
    rows<ReportState & { patternId: string; confidence: unknown; sightings: unknown }>(
      tx,
      // Each id looked up in the primary key, whatever the statistics say: before the table's
      // first ANALYZE, `pattern_id = any(...)` (or a plain join) is planned as a sequential scan,
      // 12 ms a batch at 100k reports. `offset 0` keeps the lateral subquery from being merged
      // into a join the planner may hash.
      sql`select r.pattern_id as "patternId", r.partner_id as "partnerId", r.confidence, r.categories, r.tlp, r.sightings, r.dno,
                 ${sql.raw(isoOf('r.first_seen'))} as "firstSeen", ${sql.raw(isoOf('r.last_seen'))} as "lastSeen"
          from unnest(${arrayOf(ids, 'uuid')}) as i(id), lateral (select * from reports where pattern_id = i.id offset 0) r`,
    ),
    rows<{ patternId: string; open: unknown }>(
      tx,
      sql`select pattern_id as "patternId", count(*) as open from disputes
          where status = 'open' and pattern_id in ${uuidList(ids)} group by pattern_id`,
    ),
    allowlistedFor ?? allowlistCheck(tx, patterns, now),
  ]);
  const open = new Map(disputes.map((d) => [d.patternId, int(d.open)]));
  const byId = new Map<string, PatternRecord>();
  for (const p of patterns) {
    const record: PatternRecord = {
      pattern: p,
      reports: new Map(),
      facts: { openDisputes: open.get(p.id) ?? 0, allowlisted: allowlisted(p) },
      audience: audiences.get(p.id) ?? [],
    };
    out.set(p.key, record);
    byId.set(p.id, record);
  }
  for (const r of reports) {
    const { patternId, ...report } = r;
    byId.get(patternId)!.reports.set(r.partnerId, toReport(report));
  }
  return out;
}

/** What `changedRecords` found: the records, and the communities of each of their reporters. */
export interface ChangedRecords {
  records: Map<string, PatternRecord>;
  communities: Map<string, readonly string[]>;
}

/**
 * Of these keys, those whose pattern's seq is no longer the one given (null: there was no pattern
 * yet), as committed now: each pattern with its reports, open disputes and allowlist standing, and
 * the communities of its reporters, in one statement (intake runs it holding the change-log head).
 */
export async function changedRecords(
  tx: Executor,
  seen: readonly { key: string; seq: number | null }[],
  allowlisted: (b: Block) => boolean,
): Promise<ChangedRecords> {
  const out: ChangedRecords = { records: new Map(), communities: new Map() };
  if (seen.length === 0) return out;
  const found = await rows<PatternRow & { audience: string[]; open: unknown; reports: (ReportState & { confidence: unknown; sightings: unknown; communities: string[] })[] }>(
    tx,
    sql`select ${PATTERN_COLUMNS}, p.audience,
          (select count(*) from disputes d where d.pattern_id = p.id and d.status = 'open') as open,
          coalesce((select json_agg(json_build_object(
              'partnerId', r.partner_id, 'confidence', r.confidence, 'categories', r.categories, 'tlp', r.tlp,
              'sightings', r.sightings, 'dno', r.dno, 'firstSeen', ${sql.raw(isoOf('r.first_seen'))}, 'lastSeen', ${sql.raw(isoOf('r.last_seen'))},
              'communities', array(select m.community_id from community_members m where m.partner_id = r.partner_id)))
            from reports r where r.pattern_id = p.id), '[]') as reports
        from jsonb_to_recordset(${JSON.stringify(seen)}::text::jsonb) as s(key text, seq bigint)
        join patterns p on p.key = s.key
        where p.seq is distinct from s.seq`,
  );
  for (const row of found) {
    const pattern = toPattern(row);
    const reports = new Map<string, ReportState>();
    for (const { communities, ...r } of row.reports) {
      reports.set(r.partnerId, toReport(r));
      out.communities.set(r.partnerId, communities);
    }
    out.records.set(pattern.key, { pattern, reports, facts: { openDisputes: int(row.open), allowlisted: allowlisted(pattern) }, audience: row.audience });
  }
  return out;
}

/** A report as either driver returns it, with its counts as numbers. */
function toReport(r: ReportState & { confidence: unknown; sightings: unknown }): ReportState {
  return { ...r, confidence: int(r.confidence), sightings: int(r.sightings) };
}

/** The communities of each partner, as a lookup (for amber audiences). */
export async function communitiesOf(tx: Executor, partnerIds: readonly string[]): Promise<(partnerId: string) => readonly string[]> {
  const ids = [...new Set(partnerIds)];
  if (ids.length === 0) return () => [];
  const found = await rows<{ partnerId: string; communityId: string }>(
    tx,
    sql`select partner_id as "partnerId", community_id as "communityId" from community_members where partner_id in ${uuidList(ids)}`,
  );
  const map = new Map<string, string[]>();
  for (const f of found) map.set(f.partnerId, [...(map.get(f.partnerId) ?? []), f.communityId]);
  return (id) => map.get(id) ?? [];
}

/**
 * Writes one partner's report on each of these patterns: inserted where `fresh` (the caller read,
 * under the partner's lock, that there was none), else updated. Knowing which is which spares
 * PostgreSQL the speculative insertion of an upsert.
 */
export async function writeReports(tx: Executor, partnerId: string, list: readonly { patternId: string; fresh: boolean; report: ReportState }[]): Promise<void> {
  if (list.length === 0) return;
  await tx.execute(sql`
    with t as materialized (
      select * from unnest(
        ${arrayOf(list.map((r) => r.patternId), 'uuid')}, ${arrayOf(list.map((r) => r.fresh), 'boolean')},
        ${arrayOf(list.map((r) => r.report.confidence), 'smallint')}, ${arrayOf(list.map((r) => arrayLiteral(r.report.categories)), 'text')},
        ${arrayOf(list.map((r) => r.report.tlp), 'text')}, ${arrayOf(list.map((r) => r.report.sightings), 'int')},
        ${arrayOf(list.map((r) => r.report.firstSeen), 'timestamptz')}, ${arrayOf(list.map((r) => r.report.lastSeen), 'timestamptz')},
        ${arrayOf(list.map((r) => r.report.dno), 'boolean')})
        as t(pattern_id, fresh, confidence, categories, tlp, sightings, first_seen, last_seen, dno)),
    i as (
      insert into reports (pattern_id, partner_id, confidence, categories, tlp, sightings, first_seen, last_seen, dno)
      select pattern_id, ${partnerId}::uuid, confidence, categories::text[], tlp, sightings, first_seen, last_seen, dno from t where fresh)
    update reports r set
      confidence = t.confidence, categories = t.categories::text[], tlp = t.tlp, sightings = t.sightings,
      first_seen = t.first_seen, last_seen = t.last_seen, dno = t.dno
    from t where not t.fresh and r.pattern_id = t.pattern_id and r.partner_id = ${partnerId}::uuid`);
}

/** One audit event. */
export interface AuditWrite {
  patternId: string;
  partnerId: string | null;
  event: string;
  seq: number | null;
  detail: Record<string, unknown>;
}

/** Appends audit events (in the transaction that made the change). */
export async function insertAudit(tx: Executor, events: readonly AuditWrite[], now: string): Promise<void> {
  if (events.length === 0) return;
  await tx.execute(sql`
    insert into audit_events (pattern_id, partner_id, event, seq, detail, at)
    select "patternId", "partnerId", event, seq, detail, ${now}::timestamptz
    from jsonb_to_recordset(${JSON.stringify(events)}::text::jsonb)
      as t("patternId" uuid, "partnerId" uuid, event text, seq bigint, detail jsonb)`);
}

/**
 * Re-derives each record's state from its reports and facts (after a revocation, a dispute, an
 * allowlist change or the clock), and commits those that changed: pattern rows, change-log rows
 * and one audit event each. `before` is the state feeds last saw (default: the record's pattern).
 * The caller holds the head lock (`lockHead`).
 */
export async function resettle(
  tx: Executor,
  items: readonly { record: PatternRecord; before?: Pattern }[],
  ctx: { now: string; rules: TrustRules; event: string; partnerId: string | null; detail: Record<string, unknown> },
): Promise<{ head: number; changed: Pattern[] }> {
  const reporters = items.flatMap(({ record }) => [...record.reports.keys()]);
  const communities = await communitiesOf(tx, reporters);
  const changes = items
    .map(({ record: r, before }) => ({
      before: before ?? r.pattern,
      beforeAudience: r.audience,
      next: settlePattern(r.pattern, [...r.reports.values()], { ...r.facts, now: ctx.now }, ctx.rules),
      audience: audienceOf([...r.reports.values()], communities),
    }))
    .filter((c) => JSON.stringify([c.before, c.beforeAudience]) !== JSON.stringify([c.next, c.audience]));
  const events = changes.map((c, i) => ({
    change: i,
    event: ctx.event,
    detail: { ...ctx.detail, from: { status: c.before.status, action: c.before.action } },
  }));
  const appended = await appendChanges(tx, changes, { partnerId: ctx.partnerId, now: ctx.now, events });
  return { head: appended.head, changed: appended.patterns };
}
