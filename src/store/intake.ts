import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Pattern } from '../../schemas/patterns';
import type { Db } from '../db/client';
import { blockKey } from '../domain/blocks';
import type { AcceptedItem } from '../domain/indicators';
import { applyBatch, reapplyBatch, type BatchOutcome, type PatternRecord, type Sighting } from '../domain/sightings';
import type { TrustRules } from '../domain/trust';
import { appendChanges, holdHead } from './changeLog';
import { findIdempotentAnswer, saveIdempotentAnswer, type IdempotencyClaim, type StoredAnswer } from './idempotency';
import { allowlistCheck, changedRecords, communitiesOf as communitiesOfPartners, loadRecords, upsertReports } from './patternRecords';
import { uuidArray, type Executor, type Tx } from './sql';
import { enterIntake } from './writeLocks';

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
 * Batches of different partners run side by side and take no lock on the patterns they touch:
 * 1. Without waiting for other batches, each reads its patterns, decides, and writes its own
 *    reports and sightings. One partner's batches run one after another (its lock, taken first),
 *    so only this batch writes this partner's reports; the other partners' reports do not change
 *    this partner's.
 * 2. Then it takes the change-log head: every batch that took it before has committed. One
 *    statement reads the patterns another batch changed or created since step 1 read them (their
 *    seq differs), with their reports (this partner's kept as step 1 found it), and only the
 *    batch's sightings of those are applied again (`reapplyBatch`, pure): the patterns, the change
 *    and audit rows and the answer come from this decision. This partner's reports and the
 *    sightings are the same in both, except for the id of a pattern another batch created first:
 *    they are moved to that pattern.
 * 3. It writes the patterns, change-log and audit rows in one statement and commits, head held.
 * Seqs come in commit order, and no batch's report or sighting is lost.
 *
 * Measured and not kept:
 * - locking the keys (256 striped advisory locks; a lock per key would overflow the lock table):
 *   a batch of 1,000 keys took nearly every stripe, so batches ran one after another;
 * - locking the pattern rows in key order, new keys guarded by the unique index: with 10% repeats
 *   nearly every batch shares a key with one in flight and waited for its commit to read it;
 * - reading the reports and the communities by key in the round trip that reads the patterns: it
 *   repeats the key lookup the patterns read already makes, for no measured gain.
 */
export async function writeIntake(db: Db, cmd: IntakeCommand): Promise<{ answer: StoredAnswer; replayed: boolean }> {
  const sightings = cmd.items.flatMap((i) => i.sightings);
  const keys = [...new Set(sightings.map((s) => keyOf(s)))];
  return db.transaction((tx) => intakeTransaction(tx, cmd, sightings, keys));
}

async function intakeTransaction(tx: Tx, cmd: IntakeCommand, sightings: readonly Sighting[], keys: readonly string[]): Promise<{ answer: StoredAnswer; replayed: boolean }> {
  const claim = cmd.idempotency;
  // Sent together (pipelined), run in this order: the answer and the records are read under the
  // partner's lock. One allowlist read for the batch (every touched pattern has the block of one
  // of its sightings); it and the open disputes only change under the exclusive gate.
  const entered = enterIntake(tx, cmd.partnerId);
  const allowlisted = allowlistCheck(tx, sightings.map((s) => s.block), cmd.now);
  const [, , earlier, read] = await Promise.all([
    entered,
    allowlisted,
    claim ? findIdempotentAnswer(tx, cmd.partnerId, claim.key) : null,
    loadRecords(tx, { keys }, cmd.now, allowlisted),
  ]);
  if (earlier) return { answer: earlier, replayed: true };
  // Amber audiences need the communities of the partner and of every reporter of these patterns
  // (memberships only change under the exclusive gate).
  const reporters = [...read.values()].flatMap((record) => [...record.reports.keys()]);
  let communitiesOf = await communitiesOfPartners(tx, [cmd.partnerId, ...reporters]);
  // A key new in both decisions keeps the id its report and sightings were written with.
  const newIds = new Map<string, string>();
  const newId = (key: string) => newIds.get(key) ?? newIds.set(key, randomUUID()).get(key)!;
  const ctx = { partnerId: cmd.partnerId, now: cmd.now, rules: cmd.rules, newId, allowlisted: await allowlisted };
  // Every sighting touches its key: the outcome's patterns are those of `keys`, in that order.
  let outcome = applyBatch(read, sightings, { ...ctx, communitiesOf });
  const idOf = (key: string) => outcome.touched.get(key)!.pattern.id;
  // Sent together (pipelined): this partner's reports and the sightings, then the head, under
  // which the patterns another batch committed since they were read are read again.
  const seen = keys.map((key) => ({ key, seq: read.get(key)?.pattern.seq ?? null }));
  const [, , , changed] = await Promise.all([
    upsertReports(tx, cmd.partnerId, keys.map((k) => ({ patternId: idOf(k), report: outcome.touched.get(k)!.reports.get(cmd.partnerId)! }))),
    insertSightings(tx, cmd, idOf),
    holdHead(tx),
    changedRecords(tx, seen, ctx.allowlisted),
  ]);
  // Another batch created these patterns first: this batch's report and sightings go to them.
  const moved = [...changed.records].filter(([key, r]) => r.pattern.id !== idOf(key)).map(([key, r]) => ({ from: idOf(key), to: r.pattern.id }));
  if (changed.records.size > 0) {
    const known = communitiesOf;
    communitiesOf = (id) => changed.communities.get(id) ?? known(id);
    outcome = reapplyBatch(outcome, asFirstRead(changed.records, read, cmd.partnerId), sightings, { ...ctx, communitiesOf });
  }
  const [, appended] = await Promise.all([moveToPatterns(tx, moved), appendOutcome(tx, cmd, keys, outcome)]);
  const patterns = new Map<number, { id: string; key: string }[]>();
  for (const item of cmd.items) {
    patterns.set(item.index, item.sightings.map((s) => ({ id: idOf(keyOf(s)), key: keyOf(s) })));
  }
  const answer = cmd.answer({ head: appended.head, statuses: outcome.statuses, patterns });
  if (claim) await saveIdempotentAnswer(tx, cmd.partnerId, claim, answer);
  return { answer, replayed: false };
}

/** The patterns, change-log rows and audit events of a decided batch, in one statement (see appendChanges). */
function appendOutcome(tx: Executor, cmd: IntakeCommand, keys: readonly string[], outcome: BatchOutcome) {
  const index = new Map(keys.map((k, i) => [k, i]));
  return appendChanges(
    tx,
    keys.map((k) => {
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
  );
}

/**
 * The records read again under the head, each with this partner's report as step 1 read it: the
 * one this transaction wrote already counts this batch.
 */
function asFirstRead(again: Map<string, PatternRecord>, read: Map<string, PatternRecord>, partnerId: string): Map<string, PatternRecord> {
  for (const [key, record] of again) {
    const mine = read.get(key)?.reports.get(partnerId);
    if (mine) record.reports.set(partnerId, mine);
    else record.reports.delete(partnerId);
  }
  return again;
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

/**
 * Moves this batch's sightings and report from the ids it gave new patterns to the ids another
 * batch, which created them first, gave the same keys. Only this batch's rows carry ids it made up.
 */
async function moveToPatterns(tx: Executor, moves: readonly { from: string; to: string }[]): Promise<void> {
  if (moves.length === 0) return;
  // The ids as an array too, so each table is searched by its pattern_id index.
  const from = uuidArray(moves.map((m) => m.from));
  await tx.execute(sql`
    with m as (select * from unnest(${from}, ${uuidArray(moves.map((m) => m.to))}) as m("from", "to")),
    s as (update sightings s set pattern_id = m."to" from m where s.pattern_id = any(${from}) and s.pattern_id = m."from")
    update reports r set pattern_id = m."to" from m where r.pattern_id = any(${from}) and r.pattern_id = m."from"`);
}
