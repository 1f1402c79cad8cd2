import { sql } from 'drizzle-orm';
import type { Change } from '../../schemas/feed';
import type { Pattern } from '../../schemas/patterns';
import type { Db } from '../db/client';
import { readChanges, readHead, type StoredChange } from './changeLog';
import { PATTERN_COLUMNS, toPattern, type PatternRow } from './patternRows';
import { int, rows, type Executor } from './sql';

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

/** A reader's visibility, read in the same transaction as what it reads, so they always agree. */
export interface ReaderView {
  communities: string[];
  /** The head when its communities last changed: a position before it must resync. */
  visibilitySeq: number;
}

const NO_VIEW: ReaderView = { communities: [], visibilitySeq: 0 };

/** The reader's communities and visibility position, inside the caller's transaction. */
async function readerView(tx: Executor, partnerId: string | undefined): Promise<ReaderView> {
  if (!partnerId) return NO_VIEW;
  const [row] = await rows<{ seq: unknown; communities: string[] }>(
    tx,
    sql`select p.visibility_seq as seq,
               coalesce((select array_agg(m.community_id::text order by m.community_id) from community_members m where m.partner_id = p.id), '{}') as communities
        from partners p where p.id = ${partnerId}::uuid`,
  );
  return row ? { communities: row.communities, visibilitySeq: int(row.seq) } : NO_VIEW;
}

/**
 * How every snapshot reader starts, inside its REPEATABLE READ transaction: the head it is taken
 * at and the reader's view of that moment, announced to `onStart` before any pattern is read.
 */
export async function openSnapshot(
  tx: Executor,
  partnerId: string | undefined,
  onStart: ((seq: number, view: ReaderView) => Promise<void> | void) | undefined,
): Promise<{ head: number; view: ReaderView }> {
  const { head } = await readHead(tx);
  const view = await readerView(tx, partnerId);
  await onStart?.(head, view);
  return { head, view };
}

/**
 * Reads the changes after `since` that the reader's selection keeps, up to `limit` of them. One
 * REPEATABLE READ transaction, so the head, the rows and the reader's communities agree, and
 * pruning cannot open a gap under the reader. A filtered reader may scan past rows it is not sent:
 * `next` still moves past them, and at most `scanCap` rows are scanned per call.
 */
export async function readChangesSince(
  db: Db,
  reader: { partnerId?: string; since: number; limit: number },
  selectFor: (view: ReaderView) => (c: StoredChange) => Change | null,
  scanCap = 50 * PAGE,
): Promise<ChangesPage & { view: ReaderView }> {
  return db.transaction(
    async (tx) => {
      const { head, prunedThrough } = await readHead(tx);
      const view = await readerView(tx, reader.partnerId);
      const { since, limit } = reader;
      if (since < prunedThrough || since > head || since < view.visibilitySeq) throw new ResyncRequired(since, Math.max(prunedThrough, view.visibilitySeq), head);
      const select = selectFor(view);
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
      return { changes, next: cursor, hasMore: cursor < head, head, view };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** How a snapshot is read: for whom, what it keeps, where pages go. */
export interface SnapshotReader {
  partnerId?: string;
  keepFor: (view: ReaderView) => (p: Pattern, audience: readonly string[]) => boolean;
  onStart?: (seq: number, view: ReaderView) => Promise<void> | void;
  /** When given: told how many live patterns the snapshot holds (before any keep), ahead of the first page. */
  onCount?: (live: number) => void;
  onPage: (patterns: Pattern[], audiences: string[][]) => Promise<void> | void;
}

/**
 * Streams every live pattern the reader keeps, in key order, as of one seq: the patterns, the head
 * and the reader's communities are read in one REPEATABLE READ transaction. `onPage` may be slow
 * (a client reading a stream); it is awaited, so memory stays at one page.
 */
export async function readSnapshot(db: Db, reader: SnapshotReader): Promise<number> {
  return db.transaction(
    async (tx) => {
      const { head, view } = await openSnapshot(tx, reader.partnerId, reader.onStart);
      const keep = reader.keepFor(view);
      if (reader.onCount) {
        const [counted] = await rows<{ live: number }>(tx, sql`select count(*)::int as live from patterns p where p.status in ('active', 'disputed')`);
        reader.onCount(counted?.live ?? 0);
      }
      let after = '';
      for (;;) {
        const list = await rows<PatternRow & { audience: string[] }>(
          tx,
          sql`select ${PATTERN_COLUMNS}, p.audience from patterns p
              where p.status in ('active', 'disputed') and p.key > ${after}
              order by p.key limit ${PAGE}`,
        );
        if (list.length === 0) break;
        after = list[list.length - 1]!.key;
        // Each row is converted once; only what the reader keeps goes on.
        const patterns: Pattern[] = [];
        const audiences: string[][] = [];
        for (const r of list) {
          const p = toPattern(r);
          if (!keep(p, r.audience)) continue;
          patterns.push(p);
          audiences.push(r.audience);
        }
        if (patterns.length > 0) await reader.onPage(patterns, audiences);
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
