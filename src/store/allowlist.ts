import { sql } from 'drizzle-orm';
import type { Block } from '../domain/blocks';
import { int, isoOf, rows, type Executor } from './sql';

/** An allowlisted block with the entry it belongs to. */
export interface AllowBlock extends Block {
  entryId: string;
  holder: string;
  certificate: string;
}

const ACTIVE = (at: string) => sql`e.removed_at is null and (e.valid_until is null or e.valid_until > ${at}::timestamptz)`;

/**
 * Active allowlist blocks that share digits with any of `blocks` (one is a prefix of the other);
 * the caller settles lengths with `blocksOverlap`.
 */
export async function allowBlocksNear(db: Executor, blocks: readonly Block[], at: string): Promise<AllowBlock[]> {
  if (blocks.length === 0) return [];
  const found = await rows<AllowBlock & { length: unknown }>(
    db,
    sql`select distinct ab.entry_id as "entryId", ab.prefix, ab.length, e.holder, e.certificate
        from allowlist_blocks ab
        join allowlist_entries e on e.id = ab.entry_id and ${ACTIVE(at)}
        join jsonb_to_recordset(${JSON.stringify(blocks)}::text::jsonb) as b(prefix text, length int)
          on starts_with(b.prefix, ab.prefix) or starts_with(ab.prefix, b.prefix)`,
  );
  return found.map((r) => ({ ...r, length: r.length === null ? null : int(r.length) }));
}

/** Every active allowlist block (for the lookup index). */
export async function activeAllowBlocks(db: Executor, at: string): Promise<AllowBlock[]> {
  const found = await rows<AllowBlock & { length: unknown }>(
    db,
    sql`select ab.entry_id as "entryId", ab.prefix, ab.length, e.holder, e.certificate
        from allowlist_blocks ab join allowlist_entries e on e.id = ab.entry_id and ${ACTIVE(at)}`,
  );
  return found.map((r) => ({ ...r, length: r.length === null ? null : int(r.length) }));
}

/** An allowlist entry as operators see it. */
export interface AllowlistEntry {
  id: string;
  pattern: string;
  keys: string[];
  holder: string;
  certificate: string;
  validUntil: string | null;
  createdBy: string;
  createdAt: string;
}

/** Adds an entry and its blocks. */
export async function insertAllowlistEntry(
  db: Executor,
  e: { pattern: string; holder: string; certificate: string; validUntil: string | null; createdBy: string; now: string; blocks: Block[] },
): Promise<string> {
  const [row] = await rows<{ id: string }>(
    db,
    sql`insert into allowlist_entries (pattern, holder, certificate, valid_until, created_by, created_at)
        values (${e.pattern}, ${e.holder}, ${e.certificate}, ${e.validUntil}::timestamptz, ${e.createdBy}::uuid, ${e.now}::timestamptz)
        returning id`,
  );
  await db.execute(sql`
    insert into allowlist_blocks (entry_id, prefix, length)
    select ${row!.id}::uuid, prefix, length from jsonb_to_recordset(${JSON.stringify(e.blocks)}::text::jsonb) as t(prefix text, length smallint)`);
  return row!.id;
}

/** Marks an entry removed; returns its blocks, or null when there is no such active entry. */
export async function removeAllowlistEntry(db: Executor, id: string, now: string): Promise<Block[] | null> {
  const [row] = await rows<{ id: string }>(
    db,
    sql`update allowlist_entries set removed_at = ${now}::timestamptz where id = ${id}::uuid and removed_at is null returning id`,
  );
  if (!row) return null;
  const blocks = await rows<{ prefix: string; length: unknown }>(db, sql`select prefix, length from allowlist_blocks where entry_id = ${id}::uuid`);
  return blocks.map((b) => ({ prefix: b.prefix, length: b.length === null ? null : int(b.length) }));
}

/** Entries whose certificate lapsed (validUntil passed) and are not yet removed: the sweeper removes them. */
export async function lapsedAllowlistEntries(db: Executor, now: string): Promise<string[]> {
  const found = await rows<{ id: string }>(
    db,
    sql`select id from allowlist_entries where removed_at is null and valid_until is not null and valid_until <= ${now}::timestamptz`,
  );
  return found.map((r) => r.id);
}

/** Active entries, newest first. */
export async function listAllowlist(db: Executor, now: string): Promise<AllowlistEntry[]> {
  return rows<AllowlistEntry>(
    db,
    sql`select e.id, e.pattern, e.holder, e.certificate,
               case when e.valid_until is null then null else ${sql.raw(isoOf('e.valid_until'))} end as "validUntil",
               e.created_by as "createdBy", ${sql.raw(isoOf('e.created_at'))} as "createdAt",
               coalesce((select array_agg(case when ab.length is null then '+' || ab.prefix || '*'
                                               else '+' || ab.prefix || repeat('X', ab.length - length(ab.prefix)) end order by ab.prefix)
                         from allowlist_blocks ab where ab.entry_id = e.id), '{}') as keys
        from allowlist_entries e where ${ACTIVE(now)} order by e.created_at desc, e.id`,
  );
}

/** The NOTIFY channel that tells every node the allowlist changed. */
export const ALLOWLIST_CHANNEL = 'hub_allowlist';

/** Wakes every node to reload its allowlist index. */
export async function notifyAllowlistChange(db: Executor): Promise<void> {
  await db.execute(sql`select pg_notify(${ALLOWLIST_CHANNEL}, '')`);
}
