import { sql } from 'drizzle-orm';
import type { Pattern } from '../../schemas/patterns';
import type { FilterView } from '../domain/feed';
import { toPattern, type PatternRow } from './patternRows';
import { int, rows, type Executor } from './sql';
import { lockAllWriters } from './writeLocks';

/** The NOTIFY channel that wakes every hub node to tail the log. */
export const CHANGES_CHANNEL = 'hub_changes';

/**
 * For writers other than intake (lifecycle, allowlist, communities, the sweeper): waits for the
 * intake batches in flight, then locks the change-log head for the rest of the transaction.
 * Seqs are assigned under the head lock (store/changeWrites.ts), so they come in commit order: a
 * reader that has seen seq N can never later see a commit with a smaller seq.
 */
export async function lockHead(tx: Executor): Promise<void> {
  await lockAllWriters(tx);
  // Held until commit, once every writer that took it before has committed. Intake, which holds
  // the write gate shared, takes it in the statement that writes its changes (appendUnlessChanged).
  await tx.execute(sql`select head from feed_state where id = 1 for update`);
}

/** The head and the highest pruned seq, without locking. */
export async function readHead(db: Executor): Promise<{ head: number; prunedThrough: number }> {
  const [row] = await rows<{ head: unknown; pruned_through: unknown }>(db, sql`select head, pruned_through from feed_state where id = 1`);
  return { head: int(row!.head), prunedThrough: int(row!.pruned_through) };
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
