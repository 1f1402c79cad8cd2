import type { Logger } from 'pino';
import type { Pattern } from '../../schemas/patterns';
import type { Database } from '../db/client';
import { CHANGES_CHANNEL, readChanges, type StoredChange } from '../store/changeLog';
import { readSnapshot } from '../store/feed';

/** Something on this node that follows the change log (the lookup matcher, the WebSocket hub). */
export interface TailListener {
  /**
   * The starting state, page by page, before any `onChanges`: every live pattern as of the position
   * `start` ends at, with the amber audiences beside them. Pages are not kept, so a node never holds
   * all the patterns as objects at once.
   */
  onSnapshotPage?(patterns: readonly Pattern[], audiences: readonly string[][]): void;
  /** How many patterns the starting state holds, before its first page (to size what holds them once). */
  onSnapshotSize?(live: number): void;
  /** Changes in seq order, each delivered exactly once. */
  onChanges(changes: readonly StoredChange[], head: number): void;
  /**
   * While the changes given so far are still being handed on, a promise of their end: the tail
   * reads no further until it settles, so a node that cannot keep up leaves the backlog in the
   * log (read later in bigger pages) instead of in memory.
   */
  settled?(): Promise<void> | undefined;
}

export interface TailOptions {
  log: Logger;
  /** A wake-up even without a notification, so a lost NOTIFY only delays. */
  pollMs?: number;
  pageSize?: number;
  /** Counts rows read from the log (a metric). */
  onRead?: (rows: number) => void;
}

/**
 * Tails the change log for this node: one reader per node whatever the number of subscribers.
 * NOTIFY only wakes it; the log is the truth, read from the last position in seq order.
 * Seqs are assigned in commit order, so reading `seq > position` never skips a commit.
 */
export class ChangeTail {
  #position = 0;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  readonly #listeners: TailListener[] = [];
  readonly #waiters = new Set<{ after: number; resolve: (moved: boolean) => void }>();

  constructor(private readonly database: Database, private readonly opts: TailOptions) {}

  /** The highest seq this node has read and dispatched. */
  get position(): number {
    return this.#position;
  }

  /** Registers a listener; call before `start`. */
  add(listener: TailListener): void {
    this.#listeners.push(listener);
  }

  /** Loads the live patterns into every listener, then follows the log. */
  async start(): Promise<void> {
    this.#position = await readSnapshot(this.database.db, {
      keepFor: () => () => true,
      onCount: (live) => {
        for (const l of this.#listeners) l.onSnapshotSize?.(live);
      },
      onPage: (page, audiences) => {
        for (const l of this.#listeners) l.onSnapshotPage?.(page, audiences);
      },
    });
    this.#unlisten = await this.database.listen(CHANGES_CHANNEL, () => this.wake());
    this.#timer = setInterval(() => this.wake(), this.opts.pollMs ?? 2000);
    this.#timer.unref();
    this.wake();
  }

  /** Reads whatever was committed since the last read (coalesces concurrent wakes). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain()
      .catch((err: unknown) => this.opts.log.warn({ err }, 'change tail read failed; retrying on next wake'))
      .finally(() => {
        this.#running = null;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  async #drain(): Promise<void> {
    const pageSize = this.opts.pageSize ?? 1000;
    for (;;) {
      const page = await readChanges(this.database.db, this.#position, Number.MAX_SAFE_INTEGER, pageSize);
      this.opts.onRead?.(page.length);
      if (page.length === 0 || this.#stopped) return;
      this.#position = page[page.length - 1]!.seq;
      for (const l of this.#listeners) l.onChanges(page, this.#position);
      for (const w of this.#waiters) if (this.#position > w.after) w.resolve(true);
      for (const l of this.#listeners) await l.settled?.();
      if (page.length < pageSize) return;
    }
  }

  /** Resolves true once this node has read past `after`, or false after `timeoutMs`. */
  waitFor(after: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#position > after) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        after,
        resolve: (moved: boolean) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.#waiters.delete(waiter);
          resolve(moved);
        },
      };
      const onAbort = () => waiter.resolve(false);
      const timer = setTimeout(() => waiter.resolve(false), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Stops following; pending waits resolve false. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const w of this.#waiters) w.resolve(false);
    await this.#unlisten?.().catch(() => {});
    await this.#running;
  }
}
