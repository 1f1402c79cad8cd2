import { sql } from 'drizzle-orm';
import type { Pattern } from '../../schemas/patterns';
import { filterView, isLive, type FilterView } from '../domain/feed';
import { toPattern, type PatternRow } from './patternRows';
import { int, rows, type Executor } from './sql';
import { lockAllWriters } from './writeLocks';

/** The NOTIFY channel that wakes every hub node to tail the log. */
export const CHANGES_CHANNEL = 'hub_changes';

/**
 * For writers other than intake (lifecycle, allowlist, communities, the sweeper): waits for the
 * intake batches in flight, then locks the change-log head for the rest of the transaction.
 * Seqs are assigned under the head lock (by `appendChanges`), so they come in commit order: a
 * reader that has seen seq N can never later see a commit with a smaller seq.
 */
export async function lockHead(tx: Executor): Promise<void> {
  await lockAllWriters(tx);
  await holdHead(tx);
}

/**
 * Locks the change-log head for the rest of the transaction, once every writer that took it
 * before has committed. Intake, which holds the write gate shared, takes it this way directly.
 */
export async function holdHead(tx: Executor): Promise<void> {
  await tx.execute(sql`select head from feed_state where id = 1 for update`);
}

/** The head and the highest pruned seq, without locking. */
export async function readHead(db: Executor): Promise<{ head: number; prunedThrough: number }> {
  const [row] = await rows<{ head: unknown; pruned_through: unknown }>(db, sql`select head, pruned_through from feed_state where id = 1`);
  return { head: int(row!.head), prunedThrough: int(row!.pruned_through) };
}

/** One pattern's new state and its state before this transaction, each with its amber audience. */
export interface PatternChange {
  next: Pattern;
  audience: readonly string[];
  before: Pattern | null;
  beforeAudience: readonly string[];
}

/** The audit events of a set of changes, by one actor (null: the hub itself) at one time. */
export interface ChangeAudit {
  partnerId: string | null;
  now: string;
  /** Each on one of the changes (by index); its detail gets the committed `state`. */
  events: readonly { change: number; event: string; detail: Record<string, unknown> }[];
}

/**
 * Commits pattern changes in ONE statement: locks the change-log head (until commit), writes each
 * pattern with seq `head + 1` on, appends one change row each, writes the audit events with the
 * committed state, moves the head and notifies listeners (delivered at commit). One statement, so
 * the head is held for one round trip plus the commit, whatever else the transaction did before.
 * The states stored in change rows and audit details leave out the seq, which is the row's own
 * column (filled back in on read): editing each jsonb to add it was half this statement's time.
 * Returns the new head; the patterns come back with their `seq` set.
 */
export async function appendChanges(
  tx: Executor,
  changes: readonly PatternChange[],
  audit: ChangeAudit,
): Promise<{ head: number; patterns: Pattern[] }> {
  if (changes.length === 0) return { head: (await readHead(tx)).head, patterns: [] };
  const log = changes.map((c, i) => ({
    i,
    op: isLive(c.next) ? 'upsert' : 'remove',
    state: { ...c.next, seq: undefined },
    audience: c.audience,
    prev: c.before ? (filterView(c.before, c.beforeAudience) satisfies FilterView) : null,
  }));
  const [row] = await rows<{ head: unknown }>(
    tx,
    sql`
    with h as (select head from feed_state where id = 1 for update),
    c as materialized (
      select x.i, h.head + x.i + 1 as seq, x.op, x.audience, x.prev, x.state
      from h, jsonb_to_recordset(${JSON.stringify(log)}::text::jsonb) as x(i int, op text, audience text[], prev jsonb, state jsonb)),
    p as (
      insert into patterns (id, key, kind, prefix, length, country, categories, confidence, reporters, action,
                            status, tlp, unallocated, first_seen, last_seen, valid_until, seq, audience)
      select t.id, t.key, t.kind, t.prefix, t.length, t.country, t.categories, t.confidence, t.reporters, t.action,
             t.status, t.tlp, t.unallocated, t."firstSeen", t."lastSeen", t."validUntil", c.seq, c.audience
      from c, jsonb_to_record(c.state) as t(id uuid, key text, kind text, prefix text, length smallint, country text,
             categories text[], confidence smallint, reporters int, action text, status text, tlp text, unallocated boolean,
             "firstSeen" timestamptz, "lastSeen" timestamptz, "validUntil" timestamptz)
      on conflict (id) do update set
        categories = excluded.categories, confidence = excluded.confidence, reporters = excluded.reporters,
        action = excluded.action, status = excluded.status, tlp = excluded.tlp, country = excluded.country,
        unallocated = excluded.unallocated, first_seen = excluded.first_seen, last_seen = excluded.last_seen,
        valid_until = excluded.valid_until, seq = excluded.seq, audience = excluded.audience),
    l as (
      insert into changes (seq, op, pattern_id, key, state, audience, prev)
      select seq, op, (state->>'id')::uuid, state->>'key', state, audience, prev from c),
    a as (
      insert into audit_events (pattern_id, partner_id, event, seq, detail, at)
      select (c.state->>'id')::uuid, ${audit.partnerId}::uuid, y.event, c.seq, y.detail || jsonb_build_object('state', c.state), ${audit.now}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(audit.events)}::text::jsonb) as y(change int, event text, detail jsonb)
      join c on c.i = y.change),
    u as (update feed_state set head = (select head from h) + ${changes.length} where id = 1)
    select head, pg_notify(${CHANGES_CHANNEL}, (head + ${changes.length})::text) from h`,
  );
  const head = int(row!.head);
  return { head: head + changes.length, patterns: changes.map((c, i) => ({ ...c.next, seq: head + i + 1 })) };
}

/** A change-log row as stored. */
export interface StoredChange {
  seq: number;
  op: 'upsert' | 'remove';
  state: Pattern;
  /** Communities that may see an amber state; internal, never sent. */
  audience: string[];
  prev: FilterView | null;
  /** When the writing transaction started (epoch ms): the start of the fan-out delay. */
  committedAt: number;
}

/** Change rows with `after < seq <= upTo`, in seq order, at most `limit`. */
export async function readChanges(db: Executor, after: number, upTo: number, limit: number): Promise<StoredChange[]> {
  const found = await rows<{ seq: unknown; op: 'upsert' | 'remove'; state: Pattern; audience: string[]; prev: FilterView | null; at: unknown }>(
    db,
    sql`select seq, op, state, audience, prev, (extract(epoch from committed_at) * 1000)::float8 as at
        from changes where seq > ${after} and seq <= ${upTo} order by seq limit ${limit}`,
  );
  // toPattern puts the fields back in contract order (jsonb does not keep it) and fixes number types.
  // The stored state leaves out the seq, which is the row's own.
  return found.map((r) => ({ seq: int(r.seq), op: r.op, state: toPattern({ ...(r.state as PatternRow), seq: r.seq }), audience: r.audience, prev: r.prev, committedAt: Number(r.at) }));
}

/** Deletes change rows committed before `cutoff`, keeping at least the head row; returns the new pruned-through seq. */
export async function pruneChanges(db: Executor, cutoff: Date): Promise<number> {
  const [row] = await rows<{ pruned: unknown }>(
    db,
    sql`with gone as (
          delete from changes
          where committed_at < ${cutoff.toISOString()}::timestamptz and seq < (select head from feed_state where id = 1)
          returning seq)
        update feed_state set pruned_through = greatest(pruned_through, coalesce((select max(seq) from gone), 0))
        where id = 1 returning pruned_through as pruned`,
  );
  return int(row!.pruned);
}
