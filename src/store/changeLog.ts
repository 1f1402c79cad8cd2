import { sql } from 'drizzle-orm';
import type { Pattern } from '../../schemas/patterns';
import { filterView, isLive, type FilterView } from '../domain/feed';
import { toPattern, type PatternRow } from './patternRows';
import { int, rows, type Executor } from './sql';

/** The NOTIFY channel that wakes every hub node to tail the log. */
export const CHANGES_CHANNEL = 'hub_changes';

/**
 * Locks the change-log head for the rest of the transaction and returns it. Every writer of
 * patterns takes this lock before assigning seqs, so seqs are assigned in commit order: a reader
 * that has seen seq N can never later see a commit with a smaller seq.
 */
export async function lockHead(tx: Executor): Promise<number> {
  const [row] = await rows<{ head: unknown }>(tx, sql`select head from feed_state where id = 1 for update`);
  return int(row!.head);
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

/**
 * Writes the new state of each pattern and appends one change row per pattern, with seqs from
 * `head + 1` on, then moves the head and notifies listeners (delivered at commit). The caller
 * holds the head lock (`lockHead`) and passes the head it read. Returns the new head; the
 * patterns come back with their `seq` set.
 */
export async function appendChanges(tx: Executor, head: number, changes: readonly PatternChange[]): Promise<{ head: number; patterns: Pattern[] }> {
  if (changes.length === 0) return { head, patterns: [] };
  const patterns = changes.map((c, i) => ({ ...c.next, seq: head + i + 1 }));
  const log = changes.map((c, i) => ({
    seq: head + i + 1,
    op: isLive(c.next) ? 'upsert' : 'remove',
    pattern_id: c.next.id,
    key: c.next.key,
    state: patterns[i],
    audience: c.audience,
    prev: c.before ? (filterView(c.before, c.beforeAudience) satisfies FilterView) : null,
  }));
  await upsertPatterns(tx, patterns.map((p, i) => ({ ...p, audience: changes[i]!.audience })));
  await tx.execute(sql`
    insert into changes (seq, op, pattern_id, key, state, audience, prev)
    select seq, op, pattern_id, key, state, audience, prev
    from jsonb_to_recordset(${JSON.stringify(log)}::text::jsonb)
      as t(seq bigint, op text, pattern_id uuid, key text, state jsonb, audience text[], prev jsonb)`);
  const newHead = head + changes.length;
  await tx.execute(sql`update feed_state set head = ${newHead} where id = 1`);
  await tx.execute(sql`select pg_notify(${CHANGES_CHANNEL}, ${String(newHead)})`);
  return { head: newHead, patterns };
}

async function upsertPatterns(tx: Executor, patterns: readonly (Pattern & { audience: readonly string[] })[]): Promise<void> {
  await tx.execute(sql`
    insert into patterns (id, key, kind, prefix, length, country, categories, confidence, reporters, action,
                          status, tlp, unallocated, first_seen, last_seen, valid_until, seq, audience)
    select id, key, kind, prefix, length, country, categories, confidence, reporters, action,
           status, tlp, unallocated, "firstSeen", "lastSeen", "validUntil", seq, audience
    from jsonb_to_recordset(${JSON.stringify(patterns)}::text::jsonb)
      as t(id uuid, key text, kind text, prefix text, length smallint, country text, categories text[],
           confidence smallint, reporters int, action text, status text, tlp text, unallocated boolean,
           "firstSeen" timestamptz, "lastSeen" timestamptz, "validUntil" timestamptz, seq bigint, audience text[])
    on conflict (id) do update set
      categories = excluded.categories, confidence = excluded.confidence, reporters = excluded.reporters,
      action = excluded.action, status = excluded.status, tlp = excluded.tlp, country = excluded.country,
      unallocated = excluded.unallocated, first_seen = excluded.first_seen, last_seen = excluded.last_seen,
      valid_until = excluded.valid_until, seq = excluded.seq, audience = excluded.audience`);
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
  return found.map((r) => ({ seq: int(r.seq), op: r.op, state: toPattern(r.state as PatternRow), audience: r.audience, prev: r.prev, committedAt: Number(r.at) }));
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
