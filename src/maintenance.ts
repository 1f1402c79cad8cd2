import type { Logger } from 'pino';
import type { Database } from './db/client';
import { pruneChanges } from './store/changeLog';
import { pruneIdempotentAnswers } from './store/idempotency';

const DAY_MS = 86_400_000;

/** Periodic housekeeping: the change log's retention window, and old idempotent answers. */
export function startMaintenance(database: Database, opts: { retentionDays: number; log: Logger; everyMs?: number; clock?: () => Date }): () => void {
  const clock = opts.clock ?? (() => new Date());
  const run = async () => {
    const now = clock().getTime();
    try {
      const prunedThrough = await pruneChanges(database.db, new Date(now - opts.retentionDays * DAY_MS));
      await pruneIdempotentAnswers(database.db, new Date(now - DAY_MS));
      opts.log.debug({ prunedThrough }, 'maintenance done');
    } catch (err) {
      opts.log.warn({ err }, 'maintenance failed; will retry');
    }
  };
  const timer = setInterval(() => void run(), opts.everyMs ?? 3_600_000);
  timer.unref();
  void run();
  return () => clearInterval(timer);
}
