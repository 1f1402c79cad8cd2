import type { Logger } from 'pino';
import type { Database } from './db/client';
import type { TrustRules } from './domain/trust';
import { lapsedAllowlistEntries } from './store/allowlist';
import { pruneChanges } from './store/changeLog';
import { pruneIdempotentAnswers } from './store/idempotency';
import { dropAllowlist, expireDue } from './store/lifecycle';

const DAY_MS = 86_400_000;

export interface MaintenanceOptions {
  retentionDays: number;
  rules: TrustRules;
  log: Logger;
  clock: () => Date;
}

/**
 * One round of housekeeping: expire patterns past validUntil (each a `remove` in the log), drop
 * allowlist entries whose certificate lapsed (releasing what they held), prune the change log to
 * its retention window and forget idempotent answers after a day. Returns what it did.
 */
export async function runMaintenance(database: Database, opts: MaintenanceOptions): Promise<{ expired: number; lapsed: number; prunedThrough: number }> {
  const now = opts.clock();
  const iso = now.toISOString();
  let expired = 0;
  for (let n = -1; n !== 0; expired += n) n = await expireDue(database.db, iso, opts.rules);
  const lapsed = await lapsedAllowlistEntries(database.db, iso);
  for (const id of lapsed) {
    await dropAllowlist(database.db, id, { partnerId: null, isOperator: true, now: iso, rules: opts.rules }, 'certificate lapsed');
  }
  const prunedThrough = await pruneChanges(database.db, new Date(now.getTime() - opts.retentionDays * DAY_MS));
  await pruneIdempotentAnswers(database.db, new Date(now.getTime() - DAY_MS));
  return { expired, lapsed: lapsed.length, prunedThrough };
}

/** Runs maintenance now and every `everyMs`; returns a stop function. */
export function startMaintenance(database: Database, opts: MaintenanceOptions & { everyMs: number; onDone?: (r: { expired: number; lapsed: number }) => void }): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const r = await runMaintenance(database, opts);
      if (r.expired || r.lapsed) opts.log.info(r, 'maintenance');
      opts.onDone?.(r);
    } catch (err) {
      opts.log.warn({ err }, 'maintenance failed; will retry');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void run(), opts.everyMs);
  timer.unref();
  void run();
  return () => clearInterval(timer);
}
