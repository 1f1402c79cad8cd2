import type { BlockList, SubscriptionStatus } from '../../sdk/src/index';

/** The saved list a mirror started from. */
export interface RestoredList {
  seq: number;
  patterns: number;
  savedAt: string | null;
}

/** What `GET /status` answers. */
export interface MirrorStatus {
  /** The list's position in the hub's change log. */
  seq: number;
  /** Hub head minus `seq` when the head is known (the hub answered the last probe), else null. */
  lag: number | null;
  /** Whether the feed is live (WebSocket) or its last pull came back; false while the hub is unreachable. */
  connected: boolean;
  mode: SubscriptionStatus['mode'];
  /** When the list was last known to be current; kept while disconnected. */
  lastSyncAt: string | null;
  lastError: string | null;
  /** Patterns in the list. */
  patterns: number;
  /** Whether the list holds a snapshot (saved or received): false means /check cannot answer yet. */
  ready: boolean;
  /** The hub's head at the last probe. */
  head: number | null;
  /** Snapshots downloaded since this process started (0 after a resume from the saved list). */
  snapshots: number;
  /** Changes applied since this process started. */
  changesApplied: number;
  /** The saved list this process started from, if any (`savedAt`: when it was written). */
  restored: RestoredList | null;
  saved: { seq: number | null; at: string | null; lastError: string | null };
}

/** The parts a status is made of. */
export interface StatusSources {
  list: BlockList;
  feed: () => SubscriptionStatus | null;
  head: () => number | null;
  counters: { snapshots: number; changesApplied: number };
  restored: RestoredList | null;
  saver: { savedSeq: number | null; lastSavedAt: Date | null; lastError: string | null };
}

/** The mirror's status, from memory. */
export function describeStatus(s: StatusSources): MirrorStatus {
  const feed = s.feed();
  const head = s.head();
  const seq = s.list.seq;
  return {
    seq,
    lag: head === null ? null : Math.max(0, head - seq),
    connected: feed?.connected ?? false,
    mode: feed?.mode ?? 'connecting',
    lastSyncAt: feed?.lastSyncAt?.toISOString() ?? null,
    lastError: feed?.lastError ?? null,
    patterns: s.list.size,
    ready: s.list.ready,
    head,
    snapshots: s.counters.snapshots,
    changesApplied: s.counters.changesApplied,
    restored: s.restored,
    saved: { seq: s.saver.savedSeq, at: s.saver.lastSavedAt?.toISOString() ?? null, lastError: s.saver.lastError },
  };
}
