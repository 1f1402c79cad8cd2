import type { Logger } from 'pino';
import { createApp } from './app';
import type { Database } from './db/client';
import { PrefixMatcher } from './domain/matcher';
import { ChangeTail } from './feed/tail';
import { PartnerKeyCache } from './http/auth';
import { createMetrics } from './http/metrics';
import type { HubSettings } from './routes/deps';

export interface HubOptions {
  database: Database;
  log: Logger;
  settings: HubSettings;
  clock?: () => Date;
  /** Prometheus process metrics; off in tests that build many hubs in one process. */
  processMetrics?: boolean;
  tailPollMs?: number;
}

/** One running hub node over an open database: the app plus the parts that follow the change log. */
export interface Hub {
  app: ReturnType<typeof createApp>;
  tail: ChangeTail;
  matcher: PrefixMatcher;
  keys: PartnerKeyCache;
  stop(): Promise<void>;
}

/** Builds a hub node: loads the live patterns into the matcher, starts tailing, wires the app. */
export async function startHub(opts: HubOptions): Promise<Hub> {
  const matcher = new PrefixMatcher();
  const tail = new ChangeTail(opts.database, { log: opts.log, pollMs: opts.tailPollMs });
  tail.add({
    onSnapshot: (_seq, patterns) => {
      matcher.clear();
      for (const p of patterns) matcher.upsert(p);
    },
    onChanges: (changes) => {
      for (const c of changes) {
        if (c.op === 'upsert') matcher.upsert(c.state);
        else matcher.remove(c.state.key);
      }
    },
  });
  await tail.start();
  const keys = new PartnerKeyCache(opts.database.db);
  const metrics = createMetrics(() => matcher.size, opts.processMetrics ?? true);
  const app = createApp({
    database: opts.database,
    tail,
    matcher,
    metrics,
    log: opts.log,
    keys,
    settings: opts.settings,
    clock: opts.clock ?? (() => new Date()),
    connectedFeeds: () => 0,
  });
  return { app, tail, matcher, keys, stop: () => tail.stop() };
}
