import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Pattern } from '../../schemas/patterns';
import type { Db } from '../db/client';
import { blockKey } from '../domain/blocks';
import type { AcceptedItem } from '../domain/indicators';
import { applyBatch, type BatchOutcome, type Sighting } from '../domain/sightings';
import type { TrustRules } from '../domain/trust';
import { appendChanges } from './changeLog';
import { findIdempotentAnswer, saveIdempotentAnswer, type IdempotencyClaim, type StoredAnswer } from './idempotency';
import { allowlistCheck, communitiesOf as communitiesOfPartners, loadRecords, upsertReports } from './patternRecords';
import type { Executor } from './sql';
import { enterIntake, lockPatternKeys } from './writeLocks';

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
 *
 * Batches on other keys run side by side: each first locks the pattern keys it touches (in
 * stripes, see writeLocks.ts; a batch on the same key waits, then reads what the other committed,
 * so neither update is lost), reads, decides and writes reports and sightings. Only the last
 * statement, the seq-bearing writes, holds the change-log head (`appendChanges`), so seqs still
 * come in commit order.
 *
 * Measured and not kept:
 * - reading the reports and the communities by key in the round trip that reads the patterns: it
 *   repeats the key lookup the patterns read already makes, for no measured gain;
 * - writing the sightings before the locks, with ids read beforehand and fixed under them: no
 *   faster on two cores (the work left the locked section but still competed with it);
 * - reading before locking, then re-deciding the patterns another batch committed meanwhile:
 *   slower (with 10% repeats nearly every batch shares a key with one in flight).
 */
export async function writeIntake(db: Db, cmd: IntakeCommand): Promise<{ answer: StoredAnswer; replayed: boolean }> {
  const sightings = cmd.items.flatMap((i) => i.sightings);
  const keys = [...new Set(sightings.map((s) => keyOf(s)))];
  return db.transaction(async (tx) => {
    const claim = cmd.idempotency;
    // Sent together (pipelined), run in this order. The allowlist is read under the gate (its
    // writers hold the gate exclusively) but before the key locks, so a batch does not read it
    // while holding keys others wait for: one allowlist read for the batch (every touched pattern
    // has the block of one of its sightings). The answer is read once the locks are held.
    const entered = enterIntake(tx, claim ? `${cmd.partnerId} ${claim.key}` : null);
    const allowlisted = allowlistCheck(tx, sightings.map((s) => s.block), cmd.now);
    const [, , , earlier] = await Promise.all([
      entered,
      allowlisted,
      lockPatternKeys(tx, keys),
      claim ? findIdempotentAnswer(tx, cmd.partnerId, claim.key) : null,
    ]);
    if (earlier) return { answer: earlier, replayed: true };
    const existing = await loadRecords(tx, { keys }, cmd.now, allowlisted);
    // Amber audiences need the communities of the partner and of every reporter of these
    // patterns: read once the reports are (memberships only change under the exclusive gate).
    const reporters = [...existing.values()].flatMap((record) => [...record.reports.keys()]);
    const communitiesOf = await communitiesOfPartners(tx, [cmd.partnerId, ...reporters]);
    const outcome = applyBatch(existing, sightings, {
      partnerId: cmd.partnerId,
      now: cmd.now,
      rules: cmd.rules,
      newId: randomUUID,
      allowlisted: await allowlisted,
      communitiesOf,
    });
    const touched = [...outcome.touched.keys()];
    const index = new Map(touched.map((k, i) => [k, i]));
    const idOf = (key: string) => outcome.touched.get(key)!.pattern.id;
    // Sent together (pipelined): the head is taken only by the last one.
    const [, , appended] = await Promise.all([
      upsertReports(tx, cmd.partnerId, touched.map((k) => ({ patternId: idOf(k), report: outcome.touched.get(k)!.reports.get(cmd.partnerId)! }))),
      insertSightings(tx, cmd, idOf),
      appendChanges(
        tx,
        touched.map((k) => {
          const record = outcome.touched.get(k)!;
          const before = outcome.before.get(k);
          return { next: record.pattern, audience: record.audience, before: before?.pattern ?? null, beforeAudience: before?.audience ?? [] };
        }),
        {
          partnerId: cmd.partnerId,
          now: cmd.now,
          events: outcome.events.map((e) => ({
            change: index.get(e.key)!,
            event: auditEvent(e.outcome, outcome.touched.get(e.key)!.pattern),
            detail: { batchId: cmd.batchId, itemIndex: e.index },
          })),
        },
      ),
    ]);
    const patterns = new Map<number, { id: string; key: string }[]>();
    for (const item of cmd.items) {
      patterns.set(item.index, item.sightings.map((s) => ({ id: idOf(keyOf(s)), key: keyOf(s) })));
    }
    const answer = cmd.answer({ head: appended.head, statuses: outcome.statuses, patterns });
    if (claim) await saveIdempotentAnswer(tx, cmd.partnerId, claim, answer);
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

async function insertSightings(tx: Executor, cmd: IntakeCommand, idOf: (key: string) => string): Promise<void> {
  const payload = cmd.items.flatMap((item) =>
    item.sightings.map((s) => ({
      patternId: idOf(keyOf(s)),
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
