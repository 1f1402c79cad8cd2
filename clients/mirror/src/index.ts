/** The mirror: a sidecar beside a partner's switches that keeps the block list and answers from memory. */
import { mkdir, stat } from 'node:fs/promises';
import pino from 'pino';
import type { FeedFilter } from '../../../schemas/feed';
import { BlockList, HubClient, type RetryPolicy, type SubscribeOptions, type Subscription, type SubscriptionStatus } from '../../sdk/src/index';
import { startHeadProbe, type HeadProbe } from './headProbe';
import { createListSaver, listFile, restoreList } from './persistence';
import { mirrorRoutes } from './routes';
import { listen } from './server';
import { describeStatus, type MirrorStatus, type RestoredList } from './status';

export type { MirrorStatus } from './status';

/** Where events go: one structured line each (a pino logger fits). */
export interface MirrorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** How the mirror runs. */
export interface MirrorOptions {
  hubUrl: string;
  /** A subscriber's key. */
  apiKey: string;
  /** Local port; 0 picks a free one. */
  port: number;
  /** Interface to listen on (default 127.0.0.1: the switches' host). */
  host?: string;
  /** Where the list is kept (`blocklist.ndjson`, `mirror.json`). */
  dataDir: string;
  filter?: FeedFilter;
  /** Country for national numbers asked without `?country=`. */
  defaultCountry?: string;
  /** Saves the list at most this often while changes arrive (default 1000 ms), and at close. */
  saveEveryMs?: number;
  /** How often to learn the hub's head for `lag` (default 5000 ms; 0: never, lag stays null). */
  headProbeMs?: number;
  /** Feed tuning passed to the SDK subscription (reconnect backoff defaults to 250 ms..5 s). */
  sync?: Pick<SubscribeOptions, 'reconnect' | 'wsFailuresBeforePull' | 'retryWebSocketMs' | 'pullWaitSeconds'>;
  /** Retries of single REST calls (snapshot, pull); the feed loop retries on its own. */
  retry?: RetryPolicy;
  logger?: MirrorLogger;
}

/** A running mirror. */
export interface Mirror {
  /** Where it listens, e.g. http://127.0.0.1:8788 */
  url: string;
  status(): MirrorStatus;
  readonly list: BlockList;
  /** Stops the feed, saves the list, then stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a mirror: loads the saved list and serves it at once, then keeps it in sync through the
 * SDK (resuming from the saved seq, a snapshot only when there is none), saving it after changes.
 */
export async function startMirror(opts: MirrorOptions): Promise<Mirror> {
  const log = opts.logger ?? pino({ name: 'hub-mirror' }, pino.destination(2));
  const hubUrl = opts.hubUrl.replace(/\/+$/, '');
  const filter = opts.filter ?? {};
  await mkdir(opts.dataDir, { recursive: true });

  const list = new BlockList({ defaultCountry: opts.defaultCountry });
  const path = listFile(opts.dataDir);
  const restored: RestoredList | null = (await restoreList(list, opts.dataDir, { hubUrl, filter }))
    ? { seq: list.seq, patterns: list.size, savedAt: (await stat(path)).mtime.toISOString() }
    : null;
  const saver = createListSaver(list, path, opts.saveEveryMs ?? 1000, (err) => log.warn({ err }, 'saving the list failed'));
  const counters = { snapshots: 0, changesApplied: 0 };
  let subscription: Subscription | null = null;
  let probe: HeadProbe | null = null;
  const status = () =>
    describeStatus({ list, feed: () => subscription?.status ?? null, head: () => probe?.head ?? null, counters, restored, saver });

  // Serve the saved list before the feed connects: the switches need answers now, not after a sync.
  const server = await listen(mirrorRoutes({ list, status }), opts.port, opts.host ?? '127.0.0.1');
  log.info({ url: server.url, restored, dataDir: opts.dataDir }, 'mirror listening');

  if ((opts.headProbeMs ?? 5000) > 0) probe = startHeadProbe({ url: hubUrl, apiKey: opts.apiKey, everyMs: opts.headProbeMs ?? 5000 });
  const client = new HubClient({ url: hubUrl, apiKey: opts.apiKey, retry: opts.retry ?? { attempts: 3, baseMs: 250, maxMs: 2000 } });
  let feedState = 'connecting';
  subscription = client.subscribe({
    list,
    filter: opts.filter,
    reconnect: { attempts: Infinity, baseMs: 250, maxMs: 5000 },
    ...opts.sync,
    onSnapshot: (seq, patterns) => {
      counters.snapshots++;
      saver.changed();
      log.info({ seq, patterns: patterns.length }, 'snapshot applied');
    },
    onChanges: (changes) => {
      counters.changesApplied += changes.length;
      saver.changed();
    },
    onStatus: (s: SubscriptionStatus) => {
      // One line per change of state, not per reconnect attempt.
      const state = s.connected ? 'connected' : s.lastError ? 'down' : 'connecting';
      if (state === feedState) return;
      feedState = state;
      probe?.probe(); // the head is worth knowing again right when the feed comes or goes
      if (s.connected) log.info({ mode: s.mode, seq: s.seq }, 'feed connected');
      else if (state === 'down') log.warn({ seq: s.seq, lastError: s.lastError }, 'hub unreachable: answering from the last list');
    },
  });

  let closing: Promise<void> | null = null;
  return {
    url: server.url,
    status,
    list,
    close: () =>
      (closing ??= (async () => {
        probe?.stop();
        await subscription?.close();
        await saver.close();
        await server.close();
        log.info({ seq: list.seq, patterns: list.size }, 'mirror stopped');
      })()),
  };
}
