import { sql, type SQL } from 'drizzle-orm';
import type { FeedFilter } from '../../schemas/feed';
import type { Database, Db } from '../db/client';
import type { Viewer } from '../domain/visibility';
import { openSnapshot, type ReaderView } from './feed';
import { copyRowsToNdjson } from './copyJson';
import { PATTERN_COLUMNS, PATTERN_COPY_COLUMNS, PATTERN_COPY_FIELDS } from './patternRows';
import { int, rows, type Executor } from './sql';

/** Patterns per round trip: big enough that planning and round trips vanish, small enough to hold. */
const PAGE = 5000;

/** How a snapshot is read as text: for whom, with which filter, where the pages of lines go. */
export interface SnapshotLinesReader {
  viewer: Pick<Viewer, 'partnerId' | 'isOperator'>;
  filter: FeedFilter;
  /** Put between two patterns: '\n' for NDJSON, ',' for a JSON array. */
  separator: string;
  /** Patterns per round trip (tests use small pages to cross page boundaries). */
  pageSize?: number;
  onStart?: (seq: number, view: ReaderView) => Promise<void> | void;
  /** A page of patterns as JSON texts joined by `separator` (none before the first or after the last). */
  onPage: (text: string) => Promise<void> | void;
}

/**
 * The NDJSON/JSON text of every live pattern the reader selects, in key order, as of one seq:
 * the same bytes as `JSON.stringify` of each wire Pattern, built by PostgreSQL so the hub only
 * passes pages on. Same transaction as `readSnapshot`; the next page is read while `onPage`
 * (a slow client, perhaps) is awaited, so at most two pages are held.
 */
export async function readSnapshotLines(db: Db, reader: SnapshotLinesReader): Promise<number> {
  return db.transaction(
    async (tx) => {
      const { head, view } = await openSnapshot(tx, reader.viewer.partnerId, reader.onStart);
      const where = selectionSql(reader.filter, reader.viewer.isOperator, view.communities);
      const size = reader.pageSize ?? PAGE;
      let next = readPage(tx, where, reader.separator, '', size);
      for (;;) {
        const page = await next;
        if (page.count === 0) break;
        const more = page.count === size;
        // Read ahead while this page is written; a failed write must not leave it unobserved.
        if (more) (next = readPage(tx, where, reader.separator, page.last, size)).catch(() => {});
        await reader.onPage(page.text);
        if (!more) break;
      }
      return head;
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** How an NDJSON snapshot is streamed: for whom, with which filter, where its bytes go. */
export interface SnapshotNdjsonReader {
  viewer: Pick<Viewer, 'partnerId' | 'isOperator'>;
  filter: FeedFilter;
  onStart?: (seq: number, view: ReaderView) => Promise<void> | void;
  /** Whole NDJSON lines (each ending in a newline), in key order. Awaited: backpressure. */
  onLines: (bytes: Uint8Array) => Promise<void> | void;
}

const encoder = new TextEncoder();

/**
 * The snapshot's pattern lines as NDJSON bytes (`readSnapshotLines` with '\n', same transaction
 * rules). On PostgreSQL one `COPY ... TO STDOUT` sends the rows in its cheapest format and
 * copyRowsToNdjson writes the JSON; PGlite, without COPY streams, reads pages.
 */
export async function streamSnapshotNdjson(database: Database, reader: SnapshotNdjsonReader): Promise<number> {
  const { viewer, filter, onStart, onLines } = reader;
  if (!database.readOnlyCopy) {
    return readSnapshotLines(database.db, { viewer, filter, onStart, separator: '\n', onPage: (text) => onLines(encoder.encode(text + '\n')) });
  }
  return database.readOnlyCopy(async (tx) => {
    const { head, view } = await openSnapshot(tx, viewer.partnerId, onStart);
    const where = selectionSql(filter, viewer.isOperator, view.communities);
    const rows = (await tx.copyOut(sql`select ${PATTERN_COPY_COLUMNS} from patterns p where ${where} order by p.key`))[Symbol.asyncIterator]();
    const ndjson = copyRowsToNdjson(PATTERN_COPY_FIELDS);
    let failed: { err: unknown } | null = null;
    for (let next = await rows.next(); !next.done; next = await rows.next()) {
      // After a failure the rest is read and dropped: the connection is free only once COPY ends.
      if (failed) continue;
      try {
        const lines = ndjson.convert(next.value);
        if (lines.length > 0) await onLines(lines);
      } catch (err) {
        failed = { err };
      }
    }
    if (failed) throw failed.err;
    ndjson.done();
    return head;
  });
}

interface TextPage {
  count: number;
  last: string;
  text: string;
}

async function readPage(tx: Executor, where: SQL, separator: string, after: string, size: number): Promise<TextPage> {
  const [row] = await rows<{ count: unknown; last: string | null; text: string | null }>(
    tx,
    sql`select count(*) as count, max(x.key) as last, string_agg(row_to_json(x)::text, ${separator}::text order by x.key) as text
        from (select ${PATTERN_COLUMNS} from patterns p
              where ${where} and p.key > ${after} order by p.key limit ${size}) x`,
  );
  return { count: int(row?.count ?? 0), last: row?.last ?? '', text: row?.text ?? '' };
}

/**
 * `selects` (src/domain/feed.ts) as a WHERE clause on `patterns p`: live, visible to the reader
 * (canSee), then the filter. Any change to either must change both; test/integration/
 * feed.snapshotText.test.ts checks they agree.
 */
export function selectionSql(filter: FeedFilter, isOperator: boolean, communities: readonly string[]): SQL {
  const parts: SQL[] = [sql`p.status in ('active', 'disputed')`];
  if (!isOperator) {
    parts.push(communities.length > 0 ? sql`(p.tlp in ('clear', 'green') or (p.tlp = 'amber' and p.audience && ${textArray(communities)}))` : sql`p.tlp in ('clear', 'green')`);
  }
  // An empty list selects nothing, as in `selects` (and `in ()` would not parse).
  if (filter.country) parts.push(filter.country.length > 0 ? sql`p.country in ${filter.country}` : sql`false`);
  if (filter.category) parts.push(filter.category.length > 0 ? sql`p.categories && ${textArray(filter.category)}` : sql`false`);
  if (filter.minConfidence !== undefined) parts.push(sql`p.confidence >= ${filter.minConfidence}`);
  if (filter.action) parts.push(sql`p.action = ${filter.action}`);
  return sql.join(parts, sql` and `);
}

function textArray(values: readonly string[]): SQL {
  return sql`array[${sql.join(values.map((v) => sql`${v}`), sql`, `)}]::text[]`;
}
