import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';

/** Anything that runs SQL: the database or an open transaction. */
export type Executor = Pick<Db, 'execute'>;

/** The transaction handle drizzle passes to `db.transaction`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Runs a query and returns its rows, whichever driver answered (postgres.js or PGlite). */
export async function rows<T>(db: Executor, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** Postgres int8 arrives as a string from postgres.js and as a number or bigint from PGlite. */
export function int(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

/** ISO 8601 text of a timestamptz column, the same from both drivers. */
export function isoOf(column: SQL | string): string {
  return `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** A uuid[] parameter (one text value: cheaper to send and parse than one parameter per id). */
export function uuidArray(values: readonly string[]): SQL {
  return sql`${`{${values.join(',')}}`}::uuid[]`;
}
