import { sql } from 'drizzle-orm';
import type { Change } from '../../schemas/feed';
import type { Pattern } from '../../schemas/patterns';
import type { Db } from '../db/client';
import { readChanges, readHead, type StoredChange } from './changeLog';
import { PATTERN_COLUMNS, toPattern, type PatternRow } from './patternRows';
import { rows } from './sql';

/** Rows read per round trip when paging the log or the patterns. */
const PAGE = 1000;

/** The reader's `since` is older than what the log still holds, or newer than its head. */
export class ResyncRequired extends Error {
  constructor(readonly since: number, readonly prunedThrough: number, readonly head: number) {
    super(`since=${since} is outside the change log (kept: ${prunedThrough + 1}..${head})`);
  }
}

export interface ChangesPage {
  changes: Change[];
  next: number;
  hasMore: boolean;
  head: number;
}

/**
 * Reads the changes after `since` that `select` keeps, up to `limit` of them. One REPEATABLE READ
 * transaction, so the head and the rows agree and pruning cannot open a gap under the reader.
 * A filtered reader may scan past rows it is not sent: `next` still moves past them, and at most
 * `scanCap` rows are scanned per call (then `hasMore` is true).
 */
export async function readChangesSince(
  db: Db,
  since: number,
  limit: number,
  select: (c: StoredChange) => Change | null,
  scanCap = 50 * PAGE,
): Promise<ChangesPage> {
  return db.transaction(
    async (tx) => {
      const { head, prunedThrough } = await readHead(tx);
      if (since < prunedThrough || since > head) throw new ResyncRequired(since, prunedThrough, head);
      const changes: Change[] = [];
      let cursor = since;
      let scanned = 0;
      while (changes.length < limit && cursor < head && scanned < scanCap) {
        const page = await readChanges(tx, cursor, head, PAGE);
        if (page.length === 0) break;
        scanned += page.length;
        for (const row of page) {
          cursor = row.seq;
          const shown = select(row);
          if (shown) changes.push(shown);
          if (changes.length === limit) break;
        }
      }
      return { changes, next: cursor, hasMore: cursor < head, head };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/**
 * Streams every live pattern `keep` selects, in key order, as of one seq: the patterns and the head
 * are read in one REPEATABLE READ transaction. `onPage` may be slow (a client reading a stream);
 * it is awaited, so memory stays at one page.
 */
export async function readSnapshot(
  db: Db,
  keep: (p: Pattern) => boolean,
  onStart: (seq: number) => Promise<void> | void,
  onPage: (patterns: Pattern[]) => Promise<void> | void,
): Promise<number> {
  return db.transaction(
    async (tx) => {
      const { head } = await readHead(tx);
      await onStart(head);
      let after = '';
      for (;;) {
        const list = await rows<PatternRow>(
          tx,
          sql`select ${PATTERN_COLUMNS} from patterns p
              where p.status in ('active', 'disputed') and p.key > ${after}
              order by p.key limit ${PAGE}`,
        );
        if (list.length === 0) break;
        after = list[list.length - 1]!.key;
        const page = list.map(toPattern).filter(keep);
        if (page.length > 0) await onPage(page);
        if (list.length < PAGE) break;
      }
      return head;
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** The current head of the change log. */
export async function currentHead(db: Db): Promise<number> {
  return (await readHead(db)).head;
}

export type { StoredChange };
