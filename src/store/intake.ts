import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Pattern } from '../../schemas/patterns';
import type { Db } from '../db/client';
import { blockKey } from '../domain/blocks';
import type { AcceptedItem } from '../domain/indicators';
import { applyBatch, type BatchOutcome, type PatternRecord, type ReportState, type Sighting } from '../domain/sightings';
import type { TrustRules } from '../domain/trust';
import { appendChanges, lockHead } from './changeLog';
import { findIdempotentAnswer, saveIdempotentAnswer, type IdempotencyClaim, type StoredAnswer } from './idempotency';
import { PATTERN_COLUMNS, toPattern, type PatternRow } from './patternRows';
import { int, isoOf, rows, type Executor } from './sql';

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
    const existing = await loadRecords(tx, [...new Set(sightings.map((s) => keyOf(s)))]);
    const outcome = applyBatch(existing, sightings, {
      partnerId: cmd.partnerId,
      now: cmd.now,
      rules: cmd.rules,
      newId: randomUUID,
    });
    const keys = [...outcome.touched.keys()];
    const appended = await appendChanges(
      tx,
      head,
      keys.map((k) => ({ next: outcome.touched.get(k)!.pattern, before: outcome.before.get(k) ?? null })),
    );
    const byKey = new Map(appended.patterns.map((p) => [p.key, p]));
    await upsertReports(tx, cmd.partnerId, keys.map((k) => ({ patternId: byKey.get(k)!.id, report: outcome.touched.get(k)!.reports.get(cmd.partnerId)! })));
    await insertSightings(tx, cmd, byKey);
    await insertAudit(tx, cmd, outcome, byKey);
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

async function loadRecords(tx: Executor, keys: string[]): Promise<Map<string, PatternRecord>> {
  const out = new Map<string, PatternRecord>();
  if (keys.length === 0) return out;
  const found = await rows<PatternRow>(
    tx,
    sql`select ${PATTERN_COLUMNS} from patterns p
        where p.key in (select jsonb_array_elements_text(${JSON.stringify(keys)}::text::jsonb))`,
  );
  if (found.length === 0) return out;
  const byId = new Map<string, PatternRecord>();
  for (const r of found) {
    const record = { pattern: toPattern(r), reports: new Map<string, ReportState>() };
    out.set(r.key, record);
    byId.set(r.id, record);
  }
  const reports = await rows<ReportState & { patternId: string; confidence: unknown; sightings: unknown }>(
    tx,
    sql`select pattern_id as "patternId", partner_id as "partnerId", confidence, categories, tlp, sightings,
               ${sql.raw(isoOf('first_seen'))} as "firstSeen", ${sql.raw(isoOf('last_seen'))} as "lastSeen"
        from reports where pattern_id in (select (jsonb_array_elements_text(${JSON.stringify([...byId.keys()])}::text::jsonb))::uuid)`,
  );
  for (const r of reports) {
    const { patternId, ...report } = r;
    byId.get(patternId)!.reports.set(r.partnerId, { ...report, confidence: int(r.confidence), sightings: int(r.sightings) });
  }
  return out;
}

async function upsertReports(tx: Executor, partnerId: string, list: { patternId: string; report: ReportState }[]): Promise<void> {
  if (list.length === 0) return;
  const payload = list.map(({ patternId, report }) => ({ ...report, patternId, partnerId }));
  await tx.execute(sql`
    insert into reports (pattern_id, partner_id, confidence, categories, tlp, sightings, first_seen, last_seen)
    select "patternId", "partnerId", confidence, categories, tlp, sightings, "firstSeen", "lastSeen"
    from jsonb_to_recordset(${JSON.stringify(payload)}::text::jsonb)
      as t("patternId" uuid, "partnerId" uuid, confidence smallint, categories text[], tlp text, sightings int,
           "firstSeen" timestamptz, "lastSeen" timestamptz)
    on conflict (pattern_id, partner_id) do update set
      confidence = excluded.confidence, categories = excluded.categories, tlp = excluded.tlp,
      sightings = excluded.sightings, first_seen = excluded.first_seen, last_seen = excluded.last_seen`);
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

async function insertAudit(tx: Executor, cmd: IntakeCommand, outcome: BatchOutcome, byKey: Map<string, Pattern>): Promise<void> {
  const payload = outcome.events.map((e) => {
    const p = byKey.get(e.key)!;
    return {
      patternId: p.id,
      event: e.outcome,
      seq: p.seq,
      detail: { batchId: cmd.batchId, itemIndex: e.index, state: p },
    };
  });
  if (payload.length === 0) return;
  await tx.execute(sql`
    insert into audit_events (pattern_id, partner_id, event, seq, detail, at)
    select "patternId", ${cmd.partnerId}::uuid, event, seq, detail, ${cmd.now}::timestamptz
    from jsonb_to_recordset(${JSON.stringify(payload)}::text::jsonb)
      as t("patternId" uuid, event text, seq bigint, detail jsonb)`);
}
