import type { Logger } from 'pino';
import type { Database } from '../db/client';
import type { AllowIndex } from '../domain/allowIndex';
import type { PrefixMatcher } from '../domain/matcher';
import type { TrustRules } from '../domain/trust';
import type { ChangeTail } from '../feed/tail';
import type { PartnerKeyCache } from '../http/auth';
import type { HubMetrics } from '../http/metrics';
import type { RequestRecorder } from '../http/requestLog';
import type { LookupService } from './lookupService';

/** Tunables the routes read; the Node entry fills them from the configuration. */
export interface HubSettings {
  maxBodyBytes: number;
  maxBatchItems: number;
  rules: TrustRules;
  /** WebSocket feed: send-buffer bound (4008 past it), heartbeat and idle position intervals. */
  wsMaxBufferedBytes: number;
  wsHeartbeatMs: number;
  wsPositionMs: number;
  /** Per partner and node: requests per second and burst, on intake and on lookup. */
  rateLimits: { intake: RateSetting; lookup: RateSetting };
}

export interface RateSetting {
  perSecond: number;
  burst: number;
}

/** Everything the app needs, built by the runtime entry (no process.env inside the app). */
export interface AppDeps {
  database: Database;
  tail: ChangeTail;
  matcher: PrefixMatcher;
  /** The amber audience of a live pattern held by the matcher. */
  audienceOf: (key: string) => readonly string[];
  /** The active allowlist, for lookups. */
  allow: AllowIndex;
  /** Reloads this node's allowlist and tells the other nodes to (after a change). */
  allowlistChanged: () => Promise<void>;
  metrics: HubMetrics;
  log: Logger;
  /** The log line and duration sample of every answered request. */
  requests: RequestRecorder;
  /** Answers lookups (the Hono route and, on Node, the fast lane). */
  lookups: LookupService;
  keys: PartnerKeyCache;
  settings: HubSettings;
  clock: () => Date;
  /** Open WebSocket feeds per partner on this node. */
  connectedFeeds: (partnerId: string) => number;
  /** Tells every node that a partner changed (disabled: its feeds close at once). */
  announcePartnerChange: (partnerId: string) => Promise<void>;
}
