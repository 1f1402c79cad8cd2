import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import type { TrustRules } from '../domain/trust';
import { lockHead } from './changeLog';
import { loadRecords, resettle } from './patternRecords';
import { isoOf, rows, type Executor } from './sql';

/** The NOTIFY channel that tells every node a partner's visibility changed (payload: its id). */
export const VISIBILITY_CHANNEL = 'hub_visibility';

/** A community with its members. */
export interface CommunityRow {
  id: string;
  name: string;
  members: string[];
  createdAt: string;
}

/**
 * Creates a community. Amber patterns its members reported get their audience recomputed (a
 * change each, so feeds converge), and each member's `visibility_seq` moves to the new head: a
 * feed position of theirs from before must resync. Returns null when a member does not exist or
 * the name is taken.
 */
export async function createCommunity(db: Db, input: { name: string; members: string[] }, by: { partnerId: string; now: string; rules: TrustRules }): Promise<CommunityRow | 'unknown_member' | 'name_taken'> {
  return db.transaction(async (tx) => {
    await lockHead(tx);
    const known = await rows<{ id: string }>(tx, sql`select id from partners where id in (select (jsonb_array_elements_text(${JSON.stringify(input.members)}::text::jsonb))::uuid)`);
    if (known.length !== input.members.length) return 'unknown_member';
    const [taken] = await rows<{ id: string }>(tx, sql`select id from communities where name = ${input.name}`);
    if (taken) return 'name_taken';
    const [row] = await rows<{ id: string }>(tx, sql`insert into communities (name, created_at) values (${input.name}, ${by.now}::timestamptz) returning id`);
    await tx.execute(sql`
      insert into community_members (community_id, partner_id)
      select ${row!.id}::uuid, (jsonb_array_elements_text(${JSON.stringify(input.members)}::text::jsonb))::uuid`);
    const amber = await rows<{ id: string }>(
      tx,
      sql`select distinct r.pattern_id as id from reports r
          where r.tlp = 'amber' and r.partner_id in (select (jsonb_array_elements_text(${JSON.stringify(input.members)}::text::jsonb))::uuid)`,
    );
    const records = [...(await loadRecords(tx, { ids: amber.map((a) => a.id) }, by.now)).values()];
    const settled = await resettle(tx, records.map((record) => ({ record })), {
      now: by.now,
      rules: by.rules,
      event: 'audience',
      partnerId: by.partnerId,
      detail: { communityId: row!.id },
    });
    await tx.execute(sql`
      update partners set visibility_seq = ${settled.head}
      where id in (select (jsonb_array_elements_text(${JSON.stringify(input.members)}::text::jsonb))::uuid)`);
    for (const m of input.members) await tx.execute(sql`select pg_notify(${VISIBILITY_CHANNEL}, ${m})`);
    return (await listCommunities(tx, row!.id))[0]!;
  });
}

/** Communities (or one), with their members. */
export async function listCommunities(db: Executor, id?: string): Promise<CommunityRow[]> {
  return rows<CommunityRow>(
    db,
    sql`select c.id, c.name, ${sql.raw(isoOf('c.created_at'))} as "createdAt",
               coalesce((select array_agg(m.partner_id::text order by m.partner_id) from community_members m where m.community_id = c.id), '{}') as members
        from communities c ${id ? sql`where c.id = ${id}::uuid` : sql``} order by c.created_at, c.id`,
  );
}
