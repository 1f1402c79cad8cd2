import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Pattern } from '../../schemas/patterns';
import type { Db } from '../db/client';
import { blocksOverlap, type Block } from '../domain/blocks';
import type { PatternRecord } from '../domain/sightings';
import type { TrustRules } from '../domain/trust';
import { insertAllowlistEntry, removeAllowlistEntry } from './allowlist';
import { lockHead } from './changeLog';
import { insertAudit, loadRecords, resettle } from './patternRecords';
import { rows, type Executor } from './sql';

/** Who acts, when, under which rules. */
export interface Actor {
  /** null: the hub itself (the sweeper). */
  partnerId: string | null;
  isOperator: boolean;
  now: string;
  rules: TrustRules;
}

/** Why a lifecycle operation did nothing. */
export type Refusal = 'not_found' | 'forbidden' | 'pattern_revoked' | 'dispute_closed';

async function recordById(tx: Executor, id: string, now: string): Promise<PatternRecord | undefined> {
  return [...(await loadRecords(tx, { ids: [id] }, now)).values()][0];
}

/**
 * Revokes a pattern (an operator, or its only reporter): it leaves every feed and stays out.
 * Open disputes on it are closed as superseded.
 */
export async function revokePatternById(db: Db, id: string, reason: string, by: Actor): Promise<Pattern | Refusal> {
  return db.transaction(async (tx) => {
    await lockHead(tx);
    const record = await recordById(tx, id, by.now);
    if (!record) return 'not_found';
    const onlyReporter = by.partnerId !== null && record.reports.size === 1 && record.reports.has(by.partnerId);
    if (!by.isOperator && !onlyReporter) return 'forbidden';
    if (record.pattern.status === 'revoked') return record.pattern;
    await closeOpenDisputes(tx, id, 'superseded', by, 'the pattern was revoked');
    const revoked = { ...record, pattern: { ...record.pattern, status: 'revoked' as const }, facts: { ...record.facts, openDisputes: 0 } };
    const { changed } = await resettleFrom(tx, [[record, revoked]], by, 'revoked', { reason });
    return changed[0] ?? record.pattern;
  });
}

/** Opens a dispute: the pattern is `disputed` (at most `flag`) until it is resolved. */
export async function openDispute(
  db: Db,
  patternId: string,
  reason: string,
  by: Actor,
  canSee: (p: Pattern, audience: readonly string[]) => boolean,
): Promise<{ id: string; pattern: Pattern } | Refusal> {
  return db.transaction(async (tx) => {
    await lockHead(tx);
    const record = await recordById(tx, patternId, by.now);
    if (!record || !canSee(record.pattern, record.audience)) return 'not_found';
    if (record.pattern.status === 'revoked') return 'pattern_revoked';
    const id = randomUUID();
    await tx.execute(sql`
      insert into disputes (id, pattern_id, partner_id, reason, status, created_at)
      values (${id}::uuid, ${patternId}::uuid, ${by.partnerId}::uuid, ${reason}, 'open', ${by.now}::timestamptz)`);
    const next = { ...record, facts: { ...record.facts, openDisputes: record.facts.openDisputes + 1 } };
    const { changed } = await resettleFrom(tx, [[record, next]], by, 'disputed', { disputeId: id, reason });
    // A pattern already disputed (or held, or expired) may not change: the dispute is still recorded.
    if (changed.length === 0) await auditOnly(tx, record.pattern, by, 'disputed', { disputeId: id, reason });
    return { id, pattern: changed[0] ?? record.pattern };
  });
}

/** Resolves an open dispute: `revoke` removes the pattern from every feed, `restore` returns it as it was. */
export async function resolveDispute(db: Db, disputeId: string, outcome: 'revoke' | 'restore', note: string, by: Actor): Promise<{ patternId: string } | Refusal> {
  return db.transaction(async (tx) => {
    await lockHead(tx);
    const [dispute] = await rows<{ pattern_id: string; status: string }>(tx, sql`select pattern_id, status from disputes where id = ${disputeId}::uuid for update`);
    if (!dispute) return 'not_found';
    if (dispute.status !== 'open') return 'dispute_closed';
    await tx.execute(sql`
      update disputes set status = ${outcome === 'revoke' ? 'revoked' : 'restored'}, note = ${note},
             resolved_by = ${by.partnerId}::uuid, resolved_at = ${by.now}::timestamptz
      where id = ${disputeId}::uuid`);
    const record = (await recordById(tx, dispute.pattern_id, by.now))!;
    const before = { ...record, facts: { ...record.facts, openDisputes: record.facts.openDisputes + 1 } };
    let after = record;
    if (outcome === 'revoke') {
      await closeOpenDisputes(tx, dispute.pattern_id, 'superseded', by, 'another dispute revoked the pattern');
      after = { ...record, pattern: { ...record.pattern, status: 'revoked' }, facts: { ...record.facts, openDisputes: 0 } };
    }
    const detail = { disputeId, outcome, note };
    const { changed } = await resettleFrom(tx, [[before, after]], by, outcome === 'revoke' ? 'revoked' : 'restored', detail);
    if (changed.length === 0) await auditOnly(tx, record.pattern, by, outcome === 'revoke' ? 'revoked' : 'restored', detail);
    return { patternId: dispute.pattern_id };
  });
}

async function closeOpenDisputes(tx: Executor, patternId: string, status: string, by: Actor, note: string): Promise<void> {
  await tx.execute(sql`
    update disputes set status = ${status}, note = ${note}, resolved_by = ${by.partnerId}::uuid, resolved_at = ${by.now}::timestamptz
    where pattern_id = ${patternId}::uuid and status = 'open'`);
}

/** Registers certified legitimate numbers; every overlapping pattern is held (leaves the feeds). */
export async function addAllowlist(
  db: Db,
  entry: { pattern: string; holder: string; certificate: string; validUntil: string | null; blocks: Block[] },
  by: Actor & { partnerId: string },
): Promise<{ id: string; held: number }> {
  return db.transaction(async (tx) => {
    await lockHead(tx);
    const id = await insertAllowlistEntry(tx, { ...entry, createdBy: by.partnerId, now: by.now });
    const records = await recordsOverlapping(tx, entry.blocks, by.now);
    const { changed } = await resettle(tx, records.map((record) => ({ record })), { now: by.now, rules: by.rules, event: 'held', partnerId: by.partnerId, detail: { allowlistId: id, holder: entry.holder } });
    return { id, held: changed.filter((p) => p.status === 'held').length };
  });
}

/** Removes an allowlist entry: patterns it held return unless another entry still covers them. */
export async function dropAllowlist(db: Db, id: string, by: Actor, reason: string): Promise<{ released: number } | 'not_found'> {
  return db.transaction(async (tx) => {
    await lockHead(tx);
    const blocks = await removeAllowlistEntry(tx, id, by.now);
    if (!blocks) return 'not_found';
    const records = await recordsOverlapping(tx, blocks, by.now);
    const { changed } = await resettle(tx, records.map((record) => ({ record })), { now: by.now, rules: by.rules, event: 'released', partnerId: by.partnerId, detail: { allowlistId: id, reason } });
    return { released: changed.filter((p) => p.status !== 'held').length };
  });
}

/** Patterns (not revoked) sharing numbers with any of the blocks, with fresh facts. */
async function recordsOverlapping(tx: Executor, blocks: readonly Block[], now: string): Promise<PatternRecord[]> {
  const near = await rows<{ id: string; prefix: string; length: number | null }>(
    tx,
    sql`select distinct p.id, p.prefix, p.length from patterns p
        join jsonb_to_recordset(${JSON.stringify(blocks)}::text::jsonb) as b(prefix text, length int)
          on starts_with(p.prefix, b.prefix) or starts_with(b.prefix, p.prefix)
        where p.status <> 'revoked'`,
  );
  const ids = near.filter((p) => blocks.some((b) => blocksOverlap(b, { prefix: p.prefix, length: p.length === null ? null : Number(p.length) }))).map((p) => p.id);
  return [...(await loadRecords(tx, { ids }, now)).values()];
}

/** Expires up to `limit` patterns past their validUntil; returns how many. */
export async function expireDue(db: Db, now: string, rules: TrustRules, limit = 1000): Promise<number> {
  return db.transaction(async (tx) => {
    await lockHead(tx);
    const due = await rows<{ id: string }>(
      tx,
      sql`select id from patterns where status in ('active', 'disputed') and valid_until <= ${now}::timestamptz order by valid_until limit ${limit}`,
    );
    if (due.length === 0) return 0;
    const records = [...(await loadRecords(tx, { ids: due.map((d) => d.id) }, now)).values()];
    const { changed } = await resettle(tx, records.map((record) => ({ record })), { now, rules, event: 'expired', partnerId: null, detail: {} });
    return changed.length;
  });
}

/** Commits each record's new state against the state feeds saw before. */
function resettleFrom(tx: Executor, pairs: [PatternRecord, PatternRecord][], by: Actor, event: string, detail: Record<string, unknown>) {
  return resettle(
    tx,
    pairs.map(([before, after]) => ({ record: after, before: before.pattern })),
    { now: by.now, rules: by.rules, event, partnerId: by.partnerId, detail },
  );
}

async function auditOnly(tx: Executor, p: Pattern, by: Actor, event: string, detail: Record<string, unknown>): Promise<void> {
  await insertAudit(tx, [{ patternId: p.id, partnerId: by.partnerId, event, seq: null, detail: { ...detail, state: p } }], by.now);
}
