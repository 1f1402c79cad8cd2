import { sql } from 'drizzle-orm';
import type { AuditEvent, Pattern } from '../../schemas/patterns';
import type { Db } from '../db/client';
import { PATTERN_COLUMNS, toPattern, type PatternRow } from './patternRows';
import { int, isoOf, rows } from './sql';

/** One partner's report on a pattern, with who made it. */
export interface ReportRow {
  partnerId: string;
  partnerName: string;
  country: string;
  confidence: number;
  categories: Pattern['categories'];
  tlp: Pattern['tlp'];
  sightings: number;
  firstSeen: string;
  lastSeen: string;
  /** The reporter's communities: who may see this report when it is amber. */
  audience: string[];
}

/** A pattern by id (with its amber audience), with every report on it; null when there is none. */
export async function findPattern(db: Db, id: string): Promise<{ pattern: Pattern; audience: string[]; reports: ReportRow[] } | null> {
  const [row] = await rows<PatternRow & { audience: string[] }>(db, sql`select ${PATTERN_COLUMNS}, p.audience from patterns p where p.id = ${id}::uuid`);
  if (!row) return null;
  const reports = await rows<ReportRow & { confidence: unknown; sightings: unknown }>(
    db,
    sql`select r.partner_id as "partnerId", pa.name as "partnerName", pa.country, r.confidence, r.categories, r.tlp,
               r.sightings, ${sql.raw(isoOf('r.first_seen'))} as "firstSeen", ${sql.raw(isoOf('r.last_seen'))} as "lastSeen",
               coalesce((select array_agg(m.community_id::text order by m.community_id) from community_members m where m.partner_id = r.partner_id), '{}') as audience
        from reports r join partners pa on pa.id = r.partner_id
        where r.pattern_id = ${id}::uuid order by r.first_seen, r.partner_id`,
  );
  return {
    pattern: toPattern(row),
    audience: row.audience,
    reports: reports.map((r) => ({ ...r, confidence: int(r.confidence), sightings: int(r.sightings) })),
  };
}

/** Every audit event of a pattern, oldest first, each with the state it committed in its detail. */
export async function patternHistory(db: Db, id: string): Promise<AuditEvent[]> {
  const found = await rows<{ id: unknown; event: string; at: string; seq: unknown; partnerId: string | null; detail: Record<string, unknown>; state: Record<string, unknown> | null }>(
    db,
    sql`select id, event, ${sql.raw(isoOf('at'))} as at, seq, partner_id as "partnerId", detail, state
        from audit_events where pattern_id = ${id}::uuid order by id`,
  );
  return found.map(({ state: column, ...e }) => {
    const seq = e.seq === null ? null : int(e.seq);
    // Change-log writes keep the state in its own column (older ones in the detail), without the
    // seq, which is the event's own: put it back.
    const state = column ?? (e.detail.state as Record<string, unknown> | undefined);
    const detail = state && !('seq' in state) ? { ...e.detail, state: { ...state, seq } } : e.detail;
    return { ...e, id: int(e.id), seq, detail };
  });
}
