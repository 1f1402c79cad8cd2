import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createApp } from './app';
import type { Database } from './db/client';
import { AllowIndex } from './domain/allowIndex';
import { PrefixMatcher } from './domain/matcher';
import { FeedHub } from './feed/hub';
import { ChangeTail } from './feed/tail';
import { attachFeedServer } from './feed/ws';
import { PartnerKeyCache } from './http/auth';
import { createMetrics } from './http/metrics';
import { RequestRecorder } from './http/requestLog';
import { LookupService } from './routes/lookupService';
import type { HubSettings } from './routes/deps';
import { runMaintenance, startMaintenance } from './maintenance';
import { activeAllowBlocks, ALLOWLIST_CHANNEL, notifyAllowlistChange } from './store/allowlist';
import { VISIBILITY_CHANNEL } from './store/communities';
import { notifyPartnerChange, PARTNERS_CHANNEL } from './store/partners';

export interface HubOptions {
  database: Database;
  log: Logger;
  settings: HubSettings;
  clock?: () => Date;
  /** Prometheus process metrics; off in tests that build many hubs in one process. */
  processMetrics?: boolean;
  tailPollMs?: number;
  /** How long one turn hands live frames to sockets (default FANOUT_SLICE_MS; tests use 0 to slice often). */
  fanoutSliceMs?: number;
  /** Change-log retention, and how often expiry/pruning runs (0: only when `sweep()` is called). */
  retentionDays?: number;
  maintenanceMs?: number;
}

/** One running hub node over an open database: the app plus the parts that follow the change log. */
export interface Hub {
  app: ReturnType<typeof createApp>;
  tail: ChangeTail;
  matcher: PrefixMatcher;
  feeds: FeedHub;
  keys: PartnerKeyCache;
  allow: AllowIndex;
  lookups: LookupService;
  requests: RequestRecorder;
  /** Runs expiry, allowlist lapses and pruning now (it also runs every `maintenanceMs`). */
  sweep(): Promise<{ expired: number; lapsed: number }>;
  /** Serves the WebSocket feed on this HTTP server's port. */
  attach(server: Server): void;
  stop(): Promise<void>;
}

/** Builds a hub node: loads the live patterns into the matcher, starts tailing, wires the app. */
export async function startHub(opts: HubOptions): Promise<Hub> {
  const { database, log, settings } = opts;
  const matcher = new PrefixMatcher();
  const metrics = createMetrics(() => matcher.size, opts.processMetrics ?? true);
  const tail = new ChangeTail(database, { log, pollMs: opts.tailPollMs, onRead: (n) => metrics.feed.logRowsRead.inc(n) });
  const feeds = new FeedHub({
    database,
    tail,
    log,
    metrics: metrics.feed,
    maxBufferedBytes: settings.wsMaxBufferedBytes,
    positionEveryMs: settings.wsPositionMs,
    snapshotChunk: 1000,
    ackFlushMs: 1000,
    sliceMs: opts.fanoutSliceMs,
  });
  // Amber audiences of live patterns, beside the matcher (they never leave the node).
  const audiences = new Map<string, readonly string[]>();
  tail.add({
    // Sized once for the whole starting state: growing by steps would leave the outgrown arrays
    // (about as much again as the matcher) to the garbage collector while the node starts serving.
    onSnapshotSize: (live) => matcher.reserve(live),
    onSnapshotPage: (patterns, patternAudiences) => {
      patterns.forEach((p, i) => {
        matcher.upsert(p);
        if (patternAudiences[i]?.length) audiences.set(p.key, patternAudiences[i]!);
      });
    },
    onChanges: (changes) => {
      for (const c of changes) {
        audiences.delete(c.state.key);
        if (c.op === 'upsert') {
          matcher.upsert(c.state);
          if (c.audience.length) audiences.set(c.state.key, c.audience);
        } else matcher.remove(c.state.key);
      }
    },
  });
  tail.add(feeds);
  await tail.start();
  matcher.trim();
  const keys = new PartnerKeyCache(database.db);
  const clock = opts.clock ?? (() => new Date());
  const allow = new AllowIndex();
  const reloadAllow = async () => allow.replace(await activeAllowBlocks(database.db, clock().toISOString()));
  await reloadAllow();
  const stopAllowListen = await database.listen(ALLOWLIST_CHANNEL, () => {
    reloadAllow().catch((err: unknown) => log.warn({ err }, 'allowlist reload failed'));
  });
  const maintenance = { retentionDays: opts.retentionDays ?? 30, rules: settings.rules, log, clock };
  const sweep = async () => {
    const r = await runMaintenance(database, maintenance);
    tail.wake();
    await reloadAllow();
    return r;
  };
  const stopMaintenance = opts.maintenanceMs
    ? startMaintenance(database, { ...maintenance, everyMs: opts.maintenanceMs, onDone: () => void reloadAllow().catch(() => {}) })
    : () => {};
  // Any node may disable a partner: every node forgets its cached key and closes its feeds.
  const unlisten = await database.listen(PARTNERS_CHANNEL, (partnerId) => {
    keys.clear();
    feeds.closePartner(partnerId);
  });
  // A partner's communities changed on some node: its feeds here resync.
  const unlistenVisibility = await database.listen(VISIBILITY_CHANNEL, (partnerId) => {
    keys.clear();
    feeds.resyncPartner(partnerId);
  });
  const audienceOf = (key: string) => audiences.get(key) ?? [];
  const lookups = new LookupService({ matcher, allow, tail, audienceOf, settings });
  const requests = new RequestRecorder(log, metrics);
  const app = createApp({
    database,
    tail,
    matcher,
    metrics,
    log,
    keys,
    settings,
    clock,
    allow,
    audienceOf,
    lookups,
    requests,
    allowlistChanged: async () => {
      await reloadAllow();
      await notifyAllowlistChange(database.db);
    },
    connectedFeeds: (id) => feeds.connectedCount(id),
    announcePartnerChange: (id) => notifyPartnerChange(database.db, id),
  });
  const servers: { close(): void }[] = [];
  return {
    app,
    tail,
    matcher,
    feeds,
    keys,
    allow,
    lookups,
    requests,
    sweep,
    attach(server) {
      servers.push(attachFeedServer(server, { hub: feeds, keys, log, maxMessageBytes: 16 * 1024, heartbeatMs: settings.wsHeartbeatMs }));
    },
    async stop() {
      stopMaintenance();
      await stopAllowListen().catch(() => {});
      await feeds.stop();
      for (const s of servers) s.close();
      await unlisten().catch(() => {});
      await unlistenVisibility().catch(() => {});
      await tail.stop();
    },
  };
}
