import { and, arrayContains, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Role } from '../../schemas/common';
import type { Db } from '../db/client';
import { communityMembers, partners } from '../db/schema';

/** A partner as the hub holds it (never its key, only the key's hash is stored). */
export interface PartnerRecord {
  id: string;
  name: string;
  country: string;
  roles: Role[];
  ackedSeq: number;
  disabled: boolean;
  createdAt: string;
  /** Communities it belongs to (sorted); filled where visibility is decided. */
  communities?: string[];
}

type Row = typeof partners.$inferSelect;

function toRecord(r: Row): PartnerRecord {
  return {
    id: r.id,
    name: r.name,
    country: r.country,
    roles: r.roles as Role[],
    ackedSeq: r.ackedSeq,
    disabled: r.disabledAt !== null,
    createdAt: r.createdAt.toISOString(),
  };
}

/** Adds a partner whose API key hashes to `keyHash`. */
export async function insertPartner(
  db: Db,
  input: { name: string; country: string; roles: Role[]; keyHash: string },
): Promise<PartnerRecord> {
  const [row] = await db.insert(partners).values(input).returning();
  return toRecord(row!);
}

/** The enabled partner holding the key with this hash, if any, with its communities. */
export async function findPartnerByKeyHash(db: Db, keyHash: string): Promise<(PartnerRecord & { keyHash: string; communities: string[] }) | null> {
  const [row] = await db
    .select()
    .from(partners)
    .where(and(eq(partners.keyHash, keyHash), isNull(partners.disabledAt)))
    .limit(1);
  if (!row) return null;
  const member = await db
    .select({ id: communityMembers.communityId })
    .from(communityMembers)
    .where(eq(communityMembers.partnerId, row.id));
  return { ...toRecord(row), keyHash: row.keyHash, communities: member.map((m) => m.id).sort() };
}

/** Every partner, oldest first. */
export async function listPartners(db: Db): Promise<PartnerRecord[]> {
  const all = await db.select().from(partners).orderBy(asc(partners.createdAt), asc(partners.id));
  return all.map(toRecord);
}

/** Makes sure an operator holds the key with this hash; true when one was created. */
export async function ensureOperatorKey(db: Db, keyHash: string, country: string): Promise<boolean> {
  const inserted = await db
    .insert(partners)
    .values({ name: 'operator', country, roles: ['operator'], keyHash })
    .onConflictDoUpdate({
      target: partners.keyHash,
      // The key is the operator's credential: re-enable it and restore the role if someone removed them.
      set: { disabledAt: null, roles: sql`array(select distinct unnest(${partners.roles} || array['operator']))` },
    })
    .returning({ created: sql<boolean>`(xmax = 0)` });
  return inserted[0]?.created === true;
}

/** Whether any enabled operator exists. */
export async function hasOperator(db: Db): Promise<boolean> {
  const [row] = await db
    .select({ id: partners.id })
    .from(partners)
    .where(and(arrayContains(partners.roles, ['operator']), isNull(partners.disabledAt)))
    .limit(1);
  return row !== undefined;
}

/** Records the feed position a partner says it has applied; never moves it backwards. */
export async function recordAck(db: Db, partnerId: string, seq: number): Promise<void> {
  await db
    .update(partners)
    .set({ ackedSeq: sql`greatest(${partners.ackedSeq}, ${seq})` })
    .where(eq(partners.id, partnerId));
}

/** The NOTIFY channel that tells every node a partner changed (payload: its id). */
export const PARTNERS_CHANNEL = 'hub_partners';

/** Disables or re-enables a partner; false when there is no such partner. */
export async function setPartnerDisabled(db: Db, partnerId: string, disabled: boolean): Promise<PartnerRecord | null> {
  const [row] = await db
    .update(partners)
    .set({ disabledAt: disabled ? sql`coalesce(${partners.disabledAt}, now())` : null })
    .where(eq(partners.id, partnerId))
    .returning();
  return row ? toRecord(row) : null;
}

/** Wakes every node to drop what it holds about a partner. */
export async function notifyPartnerChange(db: Db, partnerId: string): Promise<void> {
  await db.execute(sql`select pg_notify(${PARTNERS_CHANNEL}, ${partnerId})`);
}

/** A partner by id, enabled or not. */
export async function findPartner(db: Db, id: string): Promise<PartnerRecord | null> {
  const [row] = await db.select().from(partners).where(eq(partners.id, id)).limit(1);
  return row ? toRecord(row) : null;
}
