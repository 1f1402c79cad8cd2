import { sql, type SQL } from 'drizzle-orm';
import type { Pattern } from '../../schemas/patterns';
import { filterView, isLive, type FilterView } from '../domain/feed';
import { CHANGES_CHANNEL, readHead } from './changeLog';
import { int, rows, type Executor } from './sql';

/** One pattern's new state and its state before this transaction, each with its amber audience. */
export interface PatternChange {
  next: Pattern;
  audience: readonly string[];
  before: Pattern | null;
  beforeAudience: readonly string[];
}

/** One audit event, on one of a set of changes (by its index); it is stored with the committed state. */
export interface ChangeEvent {
  change: number;
  event: string;
  detail: Record<string, unknown>;
}

/** The audit events of a set of changes, by one actor (null: the hub itself) at one time. */
export interface ChangeAudit {
  partnerId: string | null;
  now: string;
  events: readonly ChangeEvent[];
}

/** Changes by their index in the set (seq `head + index + 1`), and audit events by their place among its events. */
export interface IndexedChanges {
  changes: readonly (readonly [number, PatternChange])[];
  events: readonly (readonly [number, ChangeEvent])[];
}

/**
 * For a writer that holds the change-log head (`lockHead`): commits pattern changes in ONE
 * statement. Writes each pattern with seq `head + 1` on, appends one change row each, writes the
 * audit events with the committed state, moves the head and notifies listeners (delivered at
 * commit). Returns the new head; the patterns come back with their `seq` set.
 */
export async function appendChanges(tx: Executor, changes: readonly PatternChange[], audit: ChangeAudit): Promise<{ head: number; patterns: Pattern[] }> {
  if (changes.length === 0) return { head: (await readHead(tx)).head, patterns: [] };
  const written = await writeChanges(
    tx,
    { count: changes.length, partnerId: audit.partnerId, now: audit.now },
    { changes: changes.map((c, i) => [i, c] as const), events: audit.events.map((e, k) => [k, e] as const) },
  );
  if (written.skipped.length > 0) throw new Error(`appendChanges: ${written.skipped.length} patterns were created by another writer under the head`);
  return { head: written.head + changes.length, patterns: changes.map((c, i) => ({ ...c.next, seq: written.head + i + 1 })) };
}

/**
 * Takes the change-log head (waiting for the writer that holds it to commit), then writes, in ONE
 * statement, each change whose pattern is still as its writer read it: a new pattern that no other
 * writer created meanwhile, or an existing one whose seq is still `seen` (checked on its newest
 * version). It moves the head past every change of the set, written or not, and notifies listeners
 * (delivered at commit). Returns the head it took and the indices of the changes it skipped, which
 * the caller decides again and writes with `writeChangesAt` before it commits.
 *
 * The statement is planned (its JSON parsed) before it waits for the head, not under it.
 */
export function appendUnlessChanged(
  tx: Executor,
  batch: { count: number; partnerId: string | null; now: string },
  set: IndexedChanges & { seen: ReadonlyMap<number, number> },
): Promise<{ head: number; skipped: number[] }> {
  return writeChanges(tx, batch, set);
}

/** Writes changes (each at seq `head + index + 1`) and audit events of a set the caller holds the head for. */
export async function writeChangesAt(tx: Executor, head: number, batch: { partnerId: string | null; now: string }, set: IndexedChanges): Promise<void> {
  if (set.changes.length === 0) return;
  const written = await writeChanges(tx, { ...batch, count: 0, head }, set);
  if (written.skipped.length > 0) throw new Error(`writeChangesAt: ${written.skipped.length} patterns changed under the head`);
}

/**
 * The statement behind the writers above: with `batch.head`, writes at that head (held by the
 * caller); without, takes the head, moves it by `batch.count` and notifies. A change is written
 * only when its pattern is still as read (see appendUnlessChanged; without `seen` for an existing
 * pattern, it is not checked): a new one is inserted unless its key exists, an existing one is
 * updated where its seq is still `seen`. Only written changes get their change row and audit
 * events. The states stored in change rows and audit events leave out the seq, which is the row's
 * own column (filled back in on read): editing each jsonb to add it was half this statement's time.
 */
async function writeChanges(
  tx: Executor,
  batch: { count: number; partnerId: string | null; now: string; head?: number },
  set: IndexedChanges & { seen?: ReadonlyMap<number, number> },
): Promise<{ head: number; skipped: number[] }> {
  const taken = batch.head === undefined;
  const head: SQL = taken ? sql`select head from feed_state where id = 1 for update` : sql`select ${batch.head}::bigint as head`;
  const [row] = await rows<{ head: unknown; skipped: unknown[] }>(
    tx,
    sql`
    with h as (${head}),
    c as materialized (
      select x.i, h.head + x.i + 1 as seq, x.op, x.fresh, x.seen, x.audience, x.prev, x.state, (x.state->>'id')::uuid as id
      from h, jsonb_to_recordset(${changesJson(set.changes, set.seen)}::text::jsonb)
        as x(i int, op text, fresh boolean, seen bigint, audience text[], prev jsonb, state jsonb)),
    t as (
      select c.seq, c.seen, c.audience, c.fresh, t.*
      from c, jsonb_to_record(c.state) as t(id uuid, key text, kind text, prefix text, length smallint, country text,
             categories text[], confidence smallint, reporters int, action text, status text, tlp text, unallocated boolean,
             "firstSeen" timestamptz, "lastSeen" timestamptz, "validUntil" timestamptz)),
    n as (
      insert into patterns (id, key, kind, prefix, length, country, categories, confidence, reporters, action,
                            status, tlp, unallocated, first_seen, last_seen, valid_until, seq, audience)
      select id, key, kind, prefix, length, country, categories, confidence, reporters, action,
             status, tlp, unallocated, "firstSeen", "lastSeen", "validUntil", seq, audience
      from t where fresh
      on conflict (key) do nothing
      returning id),
    p as (
      update patterns p set
        categories = t.categories, confidence = t.confidence, reporters = t.reporters, action = t.action,
        status = t.status, tlp = t.tlp, country = t.country, unallocated = t.unallocated, first_seen = t."firstSeen",
        last_seen = t."lastSeen", valid_until = t."validUntil", seq = t.seq, audience = t.audience
      from t where not t.fresh and p.id = t.id and (t.seen is null or p.seq = t.seen)
      returning p.id),
    w as (select id from n union all select id from p),
    l as (
      insert into changes (seq, op, pattern_id, key, state, audience, prev)
      select seq, op, id, state->>'key', state, audience, prev from c where id in (select id from w)),
    a as (
      insert into audit_events (pattern_id, partner_id, event, seq, detail, state, at)
      select c.id, ${batch.partnerId}::uuid, y.event, c.seq, y.detail, c.state, ${batch.now}::timestamptz
      from jsonb_to_recordset(${eventsJson(set.events)}::text::jsonb) as y(k int, change int, event text, detail jsonb)
      join c on c.i = y.change
      where c.id in (select id from w)
      order by y.k)
    ${taken ? sql`, u as (update feed_state set head = (select head from h) + ${batch.count} where id = 1)` : sql``}
    select head, array(select i from c where id not in (select id from w) order by i) as skipped
      ${taken ? sql`, pg_notify(${CHANGES_CHANNEL}, (head + ${batch.count})::text)` : sql``}
    from h`,
  );
  return { head: int(row!.head), skipped: row!.skipped.map(int) };
}

/** Changes by index: `fresh`, the pattern is new (inserted); `seen`, the seq its writer read; states without their seq. */
function changesJson(changes: IndexedChanges['changes'], seen?: ReadonlyMap<number, number>): string {
  return JSON.stringify(
    changes.map(([i, c]) => ({
      i,
      op: isLive(c.next) ? 'upsert' : 'remove',
      fresh: c.before === null,
      seen: seen?.get(i) ?? null,
      state: { ...c.next, seq: undefined },
      audience: c.audience,
      prev: c.before ? (filterView(c.before, c.beforeAudience) satisfies FilterView) : null,
    })),
  );
}

function eventsJson(events: IndexedChanges['events']): string {
  return JSON.stringify(events.map(([k, e]) => ({ k, change: e.change, event: e.event, detail: e.detail })));
}
