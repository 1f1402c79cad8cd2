import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Pattern } from '../../schemas/patterns';
import type { Db } from '../db/client';
import { blockKey } from '../domain/blocks';
import type { AcceptedItem } from '../domain/indicators';
import { applyBatch, type BatchOutcome, type Sighting } from '../domain/sightings';
import type { TrustRules } from '../domain/trust';
import { appendChanges, lockHead } from './changeLog';
import { findIdempotentAnswer, saveIdempotentAnswer, type IdempotencyClaim, type StoredAnswer } from './idempotency';
import { allowlistCheck, communitiesOf, insertAudit, loadRecords, upsertReports } from './patternRecords';
import type { Executor } from './sql';

export interface IntakeCommand {
  partnerId: string;
  batchId: string;
  items: readonly AcceptedItem[];
  now: string;
  rules: TrustRules;
  idempotency?: IdempotencyClaim | undefined;
  /** Builds the HTTP answer from the committed outcome; stored with the Idempotency-Key. */
  answer: (outcome: IntakeOutcome) => StoredAnswer;
}

/** What the batch did, per item, and where the feed stands once it is committed. */
export interface IntakeOutcome {
  head: number;
  statuses: BatchOutcome['statuses'];
  /** Pattern id and key of each item's blocks, by item index. */
  patterns: Map<number, { id: string; key: string }[]>;
}

/**
 * Writes a batch in ONE transaction: patterns, reports, sightings (raw input kept), audit events
 * and change-log rows, and the idempotent answer. Returns the stored answer when the
 * Idempotency-Key was already used (a concurrent retry that committed first).
 */
export async function writeIntake(db: Db, cmd: IntakeCommand): Promise<{ answer: StoredAnswer; replayed: boolean }> {
  return db.transaction(async (tx) => {
    const head = await lockHead(tx);
    if (cmd.idempotency) {
      const earlier = await findIdempotentAnswer(tx, cmd.partnerId, cmd.idempotency.key);
      if (earlier) return { answer: earlier, replayed: true };
    }
    const sightings = cmd.items.flatMap((i) => i.sightings);
    // One allowlist read for the batch: every touched pattern has the block of one of its sightings.
    const allowlisted = await allowlistCheck(tx, sightings.map((s) => s.block), cmd.now);
    const existing = await loadRecords(tx, { keys: [...new Set(sightings.map((s) => keyOf(s)))] }, cmd.now, allowlisted);
    const outcome = applyBatch(existing, sightings, {
      partnerId: cmd.partnerId,
      now: cmd.now,
      rules: cmd.rules,
      newId: randomUUID,
      allowlisted,
      communitiesOf: await communitiesOf(tx, [cmd.partnerId, ...[...existing.values()].flatMap((r) => [...r.reports.keys()])]),
    });
    const keys = [...outcome.touched.keys()];
    const appended = await appendChanges(
      tx,
      head,
      keys.map((k) => {
        const record = outcome.touched.get(k)!;
        return { next: record.pattern, audience: record.audience, before: outcome.before.get(k)?.pattern ?? null, beforeAudience: outcome.before.get(k)?.audience ?? [] };
      }),
    );
    const byKey = new Map(appended.patterns.map((p) => [p.key, p]));
    await upsertReports(tx, keys.map((k) => ({ patternId: byKey.get(k)!.id, report: outcome.touched.get(k)!.reports.get(cmd.partnerId)! })));
    await insertSightings(tx, cmd, byKey);
    await insertAudit(
      tx,
      outcome.events.map((e) => {
        const p = byKey.get(e.key)!;
        return { patternId: p.id, partnerId: cmd.partnerId, event: auditEvent(e.outcome, p), seq: p.seq, detail: { batchId: cmd.batchId, itemIndex: e.index, state: p } };
      }),
      cmd.now,
    );
    const patterns = new Map<number, { id: string; key: string }[]>();
    for (const item of cmd.items) {
      patterns.set(item.index, item.sightings.map((s) => ({ id: byKey.get(keyOf(s))!.id, key: keyOf(s) })));
    }
    const answer = cmd.answer({ head: appended.head, statuses: outcome.statuses, patterns });
    if (cmd.idempotency) await saveIdempotentAnswer(tx, cmd.partnerId, cmd.idempotency, answer);
    return { answer, replayed: false };
  });
}

function keyOf(s: Sighting): string {
  return blockKey(s.block);
}

/** A sighting of a pattern held by the allowlist is recorded as such, for the conflicts queue. */
function auditEvent(outcome: string, p: Pattern): string {
  return p.status === 'held' ? `${outcome}_held` : outcome;
}

async function insertSightings(tx: Executor, cmd: IntakeCommand, byKey: Map<string, { id: string }>): Promise<void> {
  const payload = cmd.items.flatMap((item) =>
    item.sightings.map((s) => ({
      patternId: byKey.get(keyOf(s))!.id,
      itemIndex: item.index,
      category: s.category,
      confidence: s.confidence ?? cmd.rules.defaultConfidence,
      observedAt: s.observedAt,
      raw: JSON.stringify(item.raw),
    })),
  );
  if (payload.length === 0) return;
  await tx.execute(sql`
    insert into sightings (pattern_id, partner_id, batch_id, item_index, category, confidence, observed_at, received_at, raw)
    select "patternId", ${cmd.partnerId}::uuid, ${cmd.batchId}::uuid, "itemIndex", category, confidence, "observedAt",
           ${cmd.now}::timestamptz, raw
    from jsonb_to_recordset(${JSON.stringify(payload)}::text::jsonb)
      as t("patternId" uuid, "itemIndex" int, category text, confidence smallint, "observedAt" timestamptz, raw text)`);
}
