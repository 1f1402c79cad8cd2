import { sql } from 'drizzle-orm';
import type { Executor } from './sql';

/**
 * Advisory locks that order writers of patterns, all transaction-scoped. Intake batches hold the
 * write gate shared and lock the keys they touch; every other writer of patterns (lifecycle,
 * allowlist, communities, the sweeper) holds the gate exclusively: it finds its patterns as it
 * goes, so it cannot lock their keys first, and it changes what intake reads before it takes the
 * change-log head (disputes, the allowlist, communities).
 */
const WRITE_GATE = sql`7303311, 1`;
const IDEMPOTENCY_SPACE = 7303312;

/**
 * Starts an intake batch: holds the write gate shared and, for a request with an Idempotency-Key,
 * that key's lock, so that a concurrent retry waits here and then finds the committed answer.
 */
export async function enterIntake(tx: Executor, idempotencyName: string | null): Promise<void> {
  // Two statements sent together (pipelined) so that the gate is surely taken first.
  await Promise.all([
    tx.execute(sql`select pg_advisory_xact_lock_shared(${WRITE_GATE})`),
    idempotencyName === null ? null : tx.execute(sql`select pg_advisory_xact_lock(${IDEMPOTENCY_SPACE}, hashtext(${idempotencyName}))`),
  ]);
}

/**
 * Pattern keys hash into this many stripes, one lock each: a batch of 10,000 keys then takes at
 * most 256 locks, and the shared lock table (max_locks_per_transaction × connections, 6,400 by
 * default) holds those of every pooled connection of several nodes.
 */
const KEY_STRIPES = 256;
/** The first stripe's lock, in the bigint keyspace (the gate and Idempotency-Keys use the two-int one). */
const FIRST_STRIPE = 7_303_313_000;

/**
 * Locks the stripes of the pattern keys an intake batch is about to write, in order, so that two
 * batches never wait on each other in a cycle. A batch on the same key (or stripe) waits here
 * until the other commits.
 */
export async function lockPatternKeys(tx: Executor, keys: readonly string[]): Promise<void> {
  // The ORDER BY sits in a subquery, which the planner keeps apart, so locks are taken in that order.
  await tx.execute(sql`
    select count(pg_advisory_xact_lock(${FIRST_STRIPE} + stripe)) from (
      select distinct abs(hashtextextended(k, 0) % ${KEY_STRIPES}) as stripe
      from jsonb_array_elements_text(${JSON.stringify(keys)}::text::jsonb) as k
      order by stripe) as sorted`);
}

/** For every other writer of patterns: waits for the intake batches in flight and holds off new ones. */
export async function lockAllWriters(tx: Executor): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${WRITE_GATE})`);
}
