import { sql } from 'drizzle-orm';
import type { Executor } from './sql';

/**
 * Advisory locks that order writers of patterns, all transaction-scoped. Intake batches hold the
 * write gate shared and their partner's lock, and settle the patterns they touch under the
 * change-log head (see store/intake.ts); every other writer of patterns (lifecycle, allowlist,
 * communities, the sweeper) holds the gate exclusively: it changes what intake reads before it
 * takes the head (disputes, the allowlist, communities).
 */
const WRITE_GATE = sql`7303311, 1`;
const PARTNER_SPACE = 7303314;

/**
 * Starts an intake batch: holds the write gate shared and its partner's lock, so that one
 * partner's batches run one after another. Its reports are then only ever written by the batch
 * that read them, and a concurrent retry with the same Idempotency-Key waits here, then finds the
 * committed answer.
 */
export async function enterIntake(tx: Executor, partnerId: string): Promise<void> {
  // Two statements sent together (pipelined) so that the gate is surely taken first.
  await Promise.all([
    tx.execute(sql`select pg_advisory_xact_lock_shared(${WRITE_GATE})`),
    tx.execute(sql`select pg_advisory_xact_lock(${PARTNER_SPACE}, hashtext(${partnerId}))`),
  ]);
}

/** For every other writer of patterns: waits for the intake batches in flight and holds off new ones. */
export async function lockAllWriters(tx: Executor): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${WRITE_GATE})`);
}
