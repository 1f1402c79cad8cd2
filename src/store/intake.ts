import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Pattern } from '../../schemas/patterns';
import type { Db } from '../db/client';
import { blockKey } from '../domain/blocks';
import type { AcceptedItem } from '../domain/indicators';
import { applyBatch, reapplyBatch, type BatchOutcome, type PatternRecord, type Sighting } from '../domain/sightings';
import type { TrustRules } from '../domain/trust';
import { readHead } from './changeLog';
import { appendUnlessChanged, writeChangesAt, type ChangeEvent, type PatternChange } from './changeWrites';
import { findIdempotentAnswer, saveIdempotentAnswer, type IdempotencyClaim, type StoredAnswer } from './idempotency';
import { allowlistCheck, changedRecords, communitiesOf as communitiesOfPartners, loadRecords, writeReports } from './patternRecords';
import { arrayOf, type Executor, type Tx } from './sql';
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
 * 2. Then one statement, sent with those, takes the change-log head (every batch that took it
 *    before has committed) and writes the patterns, change-log and audit rows of the keys whose
 *    pattern is still as step 1 read it: the new ones no other batch created meanwhile, the others
 *    whose seq has not moved (checked on their newest version). Its JSON is parsed when it is
 *    planned, before it waits for the head. Seqs are `head + 1` on, one per key, written or not.
 * 3. Head held, the patterns of the keys it skipped are read again, with their reports (this
 *    partner's kept as step 1 found it), and only the batch's sightings of those are applied again
 *    (`reapplyBatch`, pure): their patterns, change and audit rows and the answer come from this
 *    decision, at the seqs left for them. This partner's reports and the sightings are the same in
 *    both, except for the id of a pattern another batch created first: they are moved to it.
 * Seqs come in commit order, and no batch's report or sighting is lost.
 *
 * Measured and not kept:
 * - locking the keys (256 striped advisory locks; a lock per key would overflow the lock table):
 *   a batch of 1,000 keys took nearly every stripe, so batches ran one after another;
 * - locking the pattern rows in key order, new keys guarded by the unique index: with 10% repeats
 *   nearly every batch shares a key with one in flight and waited for its commit to read it;
 * - reading the reports and the communities by key in the round trip that reads the patterns: it
 *   repeats the key lookup the patterns read already makes, for no measured gain;
 * - taking the head first, then reading every key's pattern again and writing all of them in a
 *   statement sent after: the head was held while that statement's 500 kB of JSON was parsed
 *   (14 ms of its 40), and for two round trips through the hub;
 * - staging the changes before the head, in a transaction-local setting (its parse still fell under
 *   the head) or in a temporary table (the inserts from it took as long as the parse saved).
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
  // Sent together (pipelined): this partner's reports and the sightings, then the changes of the
  // keys whose pattern no other batch changed meanwhile, under the head.
  const index = new Map(keys.map((k, i) => [k, i]));
  const seen = new Map(keys.flatMap((k, i) => (read.has(k) ? [[i, read.get(k)!.pattern.seq] as const] : [])));
  const [, , first] = await Promise.all([
    writeReports(tx, cmd.partnerId, keys.map((k) => ({ patternId: idOf(k), fresh: !read.get(k)?.reports.has(cmd.partnerId), report: outcome.touched.get(k)!.reports.get(cmd.partnerId)! }))),
    insertSightings(tx, cmd, idOf),
    keys.length > 0
      ? appendUnlessChanged(tx, { count: keys.length, partnerId: cmd.partnerId, now: cmd.now }, {
          changes: keys.map((k, i) => [i, changeOf(outcome, k)] as const),
          events: outcome.events.map((e, k) => [k, eventOf(cmd, index, outcome, e)] as const),
          seen,
        })
      : readHead(tx).then(({ head }) => ({ head, skipped: [] })),
  ]);
  if (first.skipped.length > 0) {
    // Head held: the patterns of the skipped keys as committed now, decided again.
    const skipped = first.skipped.map((i) => keys[i]!);
    const changed = await changedRecords(tx, skipped.map((key) => ({ key, seq: read.get(key)?.pattern.seq ?? null })), ctx.allowlisted);
    if (changed.records.size !== skipped.length) throw new Error(`intake: ${skipped.length - changed.records.size} skipped patterns did not change`);
    // Another batch created these patterns first: this batch's report and sightings go to them.
    const moved = [...changed.records].filter(([key, r]) => r.pattern.id !== idOf(key)).map(([key, r]) => ({ from: idOf(key), to: r.pattern.id }));
    const known = communitiesOf;
    communitiesOf = (id) => changed.communities.get(id) ?? known(id);
    outcome = reapplyBatch(outcome, asFirstRead(changed.records, read, cmd.partnerId), sightings, { ...ctx, communitiesOf });
    await Promise.all([
      moveToPatterns(tx, moved),
      writeChangesAt(tx, first.head, { partnerId: cmd.partnerId, now: cmd.now }, {
        changes: first.skipped.map((i) => [i, changeOf(outcome, keys[i]!)] as const),
        events: outcome.events.flatMap((e, k) => (changed.records.has(e.key) ? [[k, eventOf(cmd, index, outcome, e)] as const] : [])),
      }),
    ]);
  }
  const patterns = new Map<number, { id: string; key: string }[]>();
  for (const item of cmd.items) {
    patterns.set(item.index, item.sightings.map((s) => ({ id: idOf(keyOf(s)), key: keyOf(s) })));
  }
  const answer = cmd.answer({ head: first.head + keys.length, statuses: outcome.statuses, patterns });
  if (claim) await saveIdempotentAnswer(tx, cmd.partnerId, claim, answer);
  return { answer, replayed: false };
}

/** The change a decided batch makes to the pattern of `key`. */
function changeOf(outcome: BatchOutcome, key: string): PatternChange {
  const record = outcome.touched.get(key)!;
  const before = outcome.before.get(key);
  return { next: record.pattern, audience: record.audience, before: before?.pattern ?? null, beforeAudience: before?.audience ?? [] };
}

/** The audit event of one of a decided batch's outcomes, on the change of its key (by index). */
function eventOf(cmd: IntakeCommand, index: ReadonlyMap<string, number>, outcome: BatchOutcome, e: BatchOutcome['events'][number]): ChangeEvent {
  return { change: index.get(e.key)!, event: auditEvent(e.outcome, outcome.touched.get(e.key)!.pattern), detail: { batchId: cmd.batchId, itemIndex: e.index } };
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
  const rows = cmd.items.flatMap((item) => item.sightings.map((s) => ({ item, s })));
  if (rows.length === 0) return;
  await tx.execute(sql`
    insert into sightings (pattern_id, partner_id, batch_id, item_index, category, confidence, observed_at, received_at, raw)
    select pattern_id, ${cmd.partnerId}::uuid, ${cmd.batchId}::uuid, item_index, category, confidence, observed_at,
           ${cmd.now}::timestamptz, raw
    from unnest(
      ${arrayOf(rows.map((r) => idOf(keyOf(r.s))), 'uuid')}, ${arrayOf(rows.map((r) => r.item.index), 'int')},
      ${arrayOf(rows.map((r) => r.s.category), 'text')}, ${arrayOf(rows.map((r) => r.s.confidence ?? cmd.rules.defaultConfidence), 'smallint')},
      ${arrayOf(rows.map((r) => r.s.observedAt), 'timestamptz')}, ${arrayOf(rows.map((r) => JSON.stringify(r.item.raw)), 'text')})
      as t(pattern_id, item_index, category, confidence, observed_at, raw)`);
}

/**
 * Moves this batch's sightings and report from the ids it gave new patterns to the ids another
 * batch, which created them first, gave the same keys. Only this batch's rows carry ids it made up.
 */
async function moveToPatterns(tx: Executor, moves: readonly { from: string; to: string }[]): Promise<void> {
  if (moves.length === 0) return;
  // The ids as an array too, so each table is searched by its pattern_id index.
  const from = arrayOf(moves.map((m) => m.from), 'uuid');
  await tx.execute(sql`
    with m as (select * from unnest(${from}, ${arrayOf(moves.map((m) => m.to), 'uuid')}) as m("from", "to")),
    s as (update sightings s set pattern_id = m."to" from m where s.pattern_id = any(${from}) and s.pattern_id = m."from")
    update reports r set pattern_id = m."to" from m where r.pattern_id = any(${from}) and r.pattern_id = m."from"`);
}
