import { sql } from 'drizzle-orm';
import type { Dispute } from '../../schemas/trust';
import type { Pattern } from '../../schemas/patterns';
import { blockKey, blocksOverlap, type Block } from '../domain/blocks';
import { allowBlocksNear } from './allowlist';
import { PATTERN_COLUMNS, toPattern, type PatternRow } from './patternRows';
import { int, isoOf, rows, type Executor } from './sql';

/** Disputes, newest first: all, those of one status, or one by id. */
export async function listDisputes(db: Executor, where: { status?: string | undefined; id?: string } = {}): Promise<Dispute[]> {
  const cond = where.id ? sql`where d.id = ${where.id}::uuid` : where.status ? sql`where d.status = ${where.status}` : sql``;
  return rows<Dispute>(
    db,
    sql`select d.id, d.pattern_id as "patternId", p.key, d.partner_id as "partnerId", d.reason, d.status, d.note,
               d.resolved_by as "resolvedBy", ${sql.raw(isoOf('d.created_at'))} as "createdAt",
               case when d.resolved_at is null then null else ${sql.raw(isoOf('d.resolved_at'))} end as "resolvedAt"
        from disputes d join patterns p on p.id = d.pattern_id
        ${cond}
        order by d.created_at desc, d.id limit 10000`,
  );
}

/** Held patterns with the allowlist entries they overlap: the operators' conflict queue. */
export async function listConflicts(db: Executor, now: string): Promise<{ pattern: Pattern; allowlist: { id: string; holder: string; certificate: string }[] }[]> {
  const held = (await rows<PatternRow>(db, sql`select ${PATTERN_COLUMNS} from patterns p where p.status = 'held' order by p.last_seen desc limit 10000`)).map(toPattern);
  const near = await allowBlocksNear(db, held, now);
  return held.map((pattern) => {
    const entries = new Map<string, { id: string; holder: string; certificate: string }>();
    for (const a of near) if (blocksOverlap(a, pattern)) entries.set(a.entryId, { id: a.entryId, holder: a.holder, certificate: a.certificate });
    return { pattern, allowlist: [...entries.values()] };
  });
}

/** Records number ranges a partner holds. */
export async function insertHoldings(db: Executor, partnerId: string, pattern: string, blocks: readonly Block[], now: string): Promise<{ id: string; pattern: string; key: string }[]> {
  const payload = blocks.map((b) => ({ ...b, key: blockKey(b) }));
  const found = await rows<{ id: string; prefix: string; length: unknown }>(
    db,
    sql`insert into holdings (partner_id, pattern, prefix, length, created_at)
        select ${partnerId}::uuid, ${pattern}, prefix, length, ${now}::timestamptz
        from jsonb_to_recordset(${JSON.stringify(payload)}::text::jsonb) as t(prefix text, length smallint)
        returning id, prefix, length`,
  );
  return found.map((h) => ({ id: h.id, pattern, key: blockKey({ prefix: h.prefix, length: h.length === null ? null : int(h.length) }) }));
}

/** The ranges a partner holds. */
export async function listHoldings(db: Executor, partnerId: string): Promise<(Block & { id: string; pattern: string; key: string })[]> {
  const found = await rows<{ id: string; pattern: string; prefix: string; length: unknown }>(
    db,
    sql`select id, pattern, prefix, length from holdings where partner_id = ${partnerId}::uuid order by created_at, id`,
  );
  return found.map((h) => {
    const block = { prefix: h.prefix, length: h.length === null ? null : int(h.length) };
    return { ...block, id: h.id, pattern: h.pattern, key: blockKey(block) };
  });
}
