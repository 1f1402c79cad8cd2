import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeedFilter } from '../../../schemas/feed';
import type { BlockList } from '../../sdk/src/index';

/** What a saved list was built from: resuming it is only right for the same hub and filter. */
export interface ListIdentity {
  hubUrl: string;
  filter: FeedFilter;
}

/** Where the list lives in the data directory. */
export function listFile(dataDir: string): string {
  return join(dataDir, 'blocklist.ndjson');
}

function identityFile(dataDir: string): string {
  return join(dataDir, 'mirror.json');
}

/**
 * Restores the saved list if it was built from the same hub and filter (a list selected by another
 * filter would be wrong from its first answer), then records the identity the next saves belong to.
 * Resolves to whether a list was restored.
 */
export async function restoreList(list: BlockList, dataDir: string, identity: ListIdentity): Promise<boolean> {
  const wanted = canonical(identity);
  const saved = await readFile(identityFile(dataDir), 'utf8').catch(() => null);
  const same = saved !== null && canonical(parseOrNull(saved)) === wanted;
  const restored = same && (await list.load(listFile(dataDir)));
  if (!same) {
    // The old list must not come back after a crash before the first save under this identity.
    await rm(listFile(dataDir), { force: true });
    const tmp = `${identityFile(dataDir)}.${process.pid}.tmp`;
    await writeFile(tmp, wanted + '\n');
    await rename(tmp, identityFile(dataDir));
  }
  return restored;
}

/** JSON with sorted keys and sorted lists, so the same filter written differently compares equal. */
function canonical(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted).sort();
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sorted(x)]));
    return v;
  };
  return JSON.stringify(sorted(value));
}

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Saves the list after changes, at most once per `everyMs`; `close` saves what is left. */
export interface ListSaver {
  /** The list changed: save it soon. */
  changed(): void;
  /** At shutdown: waits for a save in progress, saves if the list moved since, and stops. */
  close(): Promise<void>;
  readonly savedSeq: number | null;
  readonly lastSavedAt: Date | null;
  readonly lastError: string | null;
}

/**
 * A throttled writer of the list: one save at a time (BlockList.save writes through one temporary
 * file), the first soon after a change, the next no sooner than `everyMs` after the previous began.
 */
export function createListSaver(list: BlockList, path: string, everyMs: number, onError: (err: unknown) => void): ListSaver {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let dirty = false;
  let lastStart = 0;
  let savedSeq: number | null = list.ready ? list.seq : null;
  let lastSavedAt: Date | null = null;
  let lastError: string | null = null;
  let closed = false;

  const save = (): Promise<void> => {
    dirty = false;
    lastStart = Date.now();
    const seq = list.seq;
    running = list
      .save(path)
      .then(() => {
        savedSeq = seq;
        lastSavedAt = new Date();
        lastError = null;
      })
      .catch((err: unknown) => {
        dirty = true; // try again at the next slot
        lastError = (err as Error).message;
        onError(err);
      })
      .finally(() => {
        running = null;
        if (dirty) schedule();
      });
    return running;
  };

  function schedule(): void {
    if (timer || running || closed) return;
    timer = setTimeout(() => {
      timer = null;
      if (dirty) void save();
    }, Math.max(0, lastStart + everyMs - Date.now()));
    timer.unref();
  }

  return {
    changed() {
      dirty = true;
      schedule();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
      if (list.ready && (dirty || list.seq !== savedSeq)) await save();
    },
    get savedSeq() {
      return savedSeq;
    },
    get lastSavedAt() {
      return lastSavedAt;
    },
    get lastError() {
      return lastError;
    },
  };
}
